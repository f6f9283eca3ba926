import type { NamespaceTranslations } from '../../catalogue-types.js';

export default {
  strategy: 'Strategi pemilihan akun',
  sessionMs: 'Jendela sesi untuk strategi session',
  quotaThreshold5h:
    'Lewati akun yang sudah melewati persentase ini dari jendela 5 jamnya selama akun lain bisa melayani (0: mati)',
  quotaThreshold7d:
    'Lewati akun yang sudah melewati persentase ini dari jendela 7 harinya selama akun lain bisa melayani (0: mati)',
  quotaThresholds:
    'Ambang per keluarga model dan per akun, persen dalam JSON: {"perFamily":{"opus":{"7d":50}},"perAccount":{"work":{"5h":90,"perFamily":{"opus":{"7d":70}}}}}; yang paling spesifik berlaku',
  stickyWaitMs:
    'Strategi sticky: tahan permintaan bila akun saat ini kembali tersedia dalam waktu ini (2m), alih-alih pindah akun',
  strategyAffinity:
    'round-robin, least-used, drain-soonest, hybrid: pertahankan sesi Claude Code di akun yang melayaninya',
  hybridWeights: 'Bobot skor strategi hybrid: health,bucket,quota,rest',
  hybridBucket:
    'Ember token per akun untuk strategi hybrid: kapasitas,isi ulang per menit (melewatinya: tunggu 500 ms)',
  requestRetentionDays: 'Jumlah hari catatan permintaan disimpan',
  payloadRetentionDays: 'Jumlah hari payload disimpan',
  payloadCapture: 'Simpan isi permintaan dan respons',
  payloadMaxBytes: 'Batas ukuran per isi yang disimpan',
  defaultAgentModel:
    'Model untuk setiap sub-agen tanpa preferensi atau id model lengkap di berkasnya (claude-… atau opus, sonnet, haiku); kosong: biarkan model dari klien',
  conversationAnalysis:
    'Izinkan "Analisis" pada percakapan: transkripnya dikirim melalui ccflare ke model Claude (agen ccflare-analysis), memakai token sebuah akun',
  conversationAnalysisModel:
    'Model yang dipakai analisis percakapan bila permintaan tidak menyebut model (id Claude atau opus, sonnet, haiku)',
} satisfies NamespaceTranslations<'settingDocs'>;

import type { NamespaceTranslations } from '../../catalogue-types.js';

export default {
  title: 'Strategi',
  intro:
    'Cara gateway memilih akun untuk setiap permintaan, alasannya, dan di mana perlindungan kuota menghentikannya.',
  loading: 'strategi',
  switchTitle: 'Strategi pemilihan',
  switchLabel: 'Strategi',
  apply: 'Terapkan',
  applying: 'Menerapkan…',
  applied: 'Sekarang {name}: permintaan berikutnya memakainya.',
  pinned: 'Ditetapkan oleh {env}, yang mengalahkan perubahan di sini; hapus lalu mulai ulang untuk mengganti di sini.',
  current: 'saat ini',
  explainSession:
    'Tetap di satu akun selama jendela sesi (default 5 jam), menurut prioritas, dan pindah hanya saat akun itu dibatasi.',
  explainSticky:
    'Tetap di akun saat ini sampai dibatasi; bila batasnya pulih dalam waktu tunggu sticky, permintaan ditahan alih-alih pindah, agar cache tetap hangat.',
  explainRoundRobin:
    'Akun berikutnya yang bisa dipakai untuk setiap permintaan. Afinitas sesi menjaga satu sesi Claude Code di satu akun kecuali dimatikan.',
  explainLeastUsed: 'Akun dengan pemakaian 5j terendah dulu, lalu yang permintaannya paling sedikit dalam jendela.',
  explainDrainSoonest:
    'Akun yang jendelanya paling cepat direset dulu, agar kuota yang akan hangus terpakai lebih dulu.',
  explainHybrid:
    'Skor tertinggi dulu: kesehatan, isi ember token, sisa kuota, dan waktu istirahat, berbobot. Bila tidak ada yang memenuhi: darurat (abaikan kesehatan) dan upaya terakhir (abaikan ember) sebelum 503.',
  spreadsWarning:
    'Menyebar satu sesi Claude Code ke beberapa akun: setiap perpindahan mulai dengan cache prompt dingin (input yang ditagih lebih banyak, jawaban pertama lebih lambat), dan satu percakapan dari beberapa langganan bisa terlihat seperti berbagi akun bagi penyedia.',
  keepsWarm: 'Menjaga satu sesi di satu akun: cache prompt tetap hangat.',
  nextTitle: 'Urutan berikutnya',
  nextIntro: 'Akun yang akan dicoba permintaan berikutnya (tanpa sesi klien), berurutan, dan alasannya.',
  nextEmpty: 'Tidak ada akun yang bisa melayani sekarang: permintaan berikutnya mendapat 503.',
  delay: 'Strategi akan menunggu {duration} dulu.',
  accountsTitle: 'Akun',
  noAccounts: 'Belum ada akun.',
  usable: 'Bisa dipakai',
  unusableCoolingFor: 'Pendinginan untuk {model}',
  pastThreshold: 'Melewati ambang',
  health: 'Kesehatan',
  bucket: 'Ember',
  score: 'Skor hybrid',
  scoreParts: 'kesehatan {health} + ember {bucket} + kuota {quota} + istirahat {rest}',
  window5h: 'Jendela 5j',
  window7d: 'Jendela 7h',
  used: '{percent} terpakai',
  notReported: 'tidak dilaporkan',
  thresholdAt: 'ambang {percent}',
  noThreshold: 'tanpa ambang',
  thresholdsTitle: 'Ambang kuota',
  thresholdsIntro:
    'Akun yang melewati ambangnya dilewati selama akun lain bisa melayani; bila semua melewatinya, yang paling sedikit dipakai melayani. Yang paling spesifik menang: akun, lalu keluarga model, lalu global. Kosong: tidak ada.',
  thresholdsPinned: 'Diatur oleh {envs}, yang mengalahkan perubahan di sini.',
  global: 'Global',
  family: 'Per keluarga model',
  perAccount: 'Ambang {name}',
  saveThresholds: 'Simpan ambang',
  saveAccount: 'Simpan ambang {name}',
  saving: 'Menyimpan…',
  saved: 'Tersimpan: permintaan berikutnya memakainya.',
  percentOf: 'Ambang {window} (%)',
  notPercent: 'Ambang adalah persen dari 0 sampai 1000, atau kosong untuk tidak ada.',
  refused: 'Gateway menolak ini: {error}',
} satisfies NamespaceTranslations<'strategy'>;

import type { NamespaceTranslations } from '../../catalogue-types.js';

export default {
  title: 'Analisis',
  intro:
    'Mengirim transkrip ringkas percakapan ini melalui ccflare ke model Claude: apa yang diminta, apa yang dikerjakan, ke mana token terpakai, masalah. Permintaan dicatat dengan agen ccflare-analysis dan memakai akun seperti permintaan lain.',
  disabled: 'Analisis percakapan nonaktif. Aktifkan “Analisis percakapan” di Pengaturan untuk memakainya.',
  model: 'Model',
  defaultModel: 'Bawaan ({model})',
  analyze: 'Analisis',
  running: 'Menganalisis…',
  runningHint: 'Model sedang membaca transkrip; ini bisa memakan waktu satu menit.',
  none: 'Belum dianalisis.',
  meta: 'Oleh {model}, {time}',
  stillRunning: 'Analisis sedang berjalan.',
  failed: 'Analisis gagal: {error}',
} satisfies NamespaceTranslations<'conversationAnalysis'>;

import type { NamespaceTranslations } from '../../catalogue-types.js';

export default {
  title: 'Analiz',
  intro:
    'Bu konuşmanın kısa bir dökümünü ccflare üzerinden bir Claude modeline gönderir: ne istendi, ne yapıldı, tokenlar nereye gitti, sorunlar. İstek ccflare-analysis ajanıyla kaydedilir ve diğer istekler gibi bir hesap kullanır.',
  disabled: 'Konuşma analizi kapalı. Kullanmak için Ayarlar’da “Konuşma analizi”ni açın.',
  model: 'Model',
  defaultModel: 'Varsayılan ({model})',
  analyze: 'Analiz et',
  running: 'Analiz ediliyor…',
  runningHint: 'Model dökümü okuyor; bu bir dakika sürebilir.',
  none: 'Henüz analiz edilmedi.',
  meta: '{model} tarafından, {time}',
  stillRunning: 'Bir analiz sürüyor.',
  failed: 'Analiz başarısız: {error}',
} satisfies NamespaceTranslations<'conversationAnalysis'>;

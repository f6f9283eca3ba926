import type { NamespaceTranslations } from '../../catalogue-types.js';

export default {
  strategy: 'Hesap seçme stratejisi',
  sessionMs: 'session stratejisinin oturum penceresi',
  quotaThreshold5h:
    'Başka bir hesap hizmet verebildiği sürece 5 saatlik penceresinin bu yüzdesini aşan hesabı atla (0: kapalı)',
  quotaThreshold7d:
    'Başka bir hesap hizmet verebildiği sürece 7 günlük penceresinin bu yüzdesini aşan hesabı atla (0: kapalı)',
  quotaThresholds:
    'Model ailesine ve hesaba göre eşikler, JSON yüzdeleri: {"perFamily":{"opus":{"7d":50}},"perAccount":{"work":{"5h":90,"perFamily":{"opus":{"7d":70}}}}}; en özel olan geçerlidir',
  stickyWaitMs:
    'sticky stratejisi: mevcut hesap bu süre içinde (2m) boşalacaksa isteği başka hesaba taşımak yerine beklet',
  strategyAffinity:
    'round-robin, least-used, drain-soonest, hybrid: bir Claude Code oturumunu ona hizmet eden hesapta tut',
  hybridWeights: 'hybrid stratejisinin puan ağırlıkları: health,bucket,quota,rest',
  hybridBucket:
    'hybrid stratejisinin hesap başına jeton kovası: kapasite,dakika başına dolum (aşılınca: 500 ms bekleme)',
  requestRetentionDays: 'İstek kayıtlarının saklandığı gün sayısı',
  payloadRetentionDays: 'İçeriklerin (payload) saklandığı gün sayısı',
  payloadCapture: 'İstek ve yanıt gövdelerini sakla',
  payloadMaxBytes: 'Saklanan her gövde için üst sınır',
  defaultAgentModel:
    'Dosyasında tercih ya da tam model kimliği olmayan her alt ajanın modeli (claude-… veya opus, sonnet, haiku); boş: istemcinin modelini koru',
  conversationAnalysis:
    'Bir konuşmada "Analiz et"e izin ver: dökümü ccflare üzerinden bir Claude modeline (ajan ccflare-analysis) gönderilir, bir hesabın jetonlarını kullanır',
  conversationAnalysisModel:
    'İstek model belirtmediğinde konuşma analizinin kullandığı model (bir Claude kimliği veya opus, sonnet, haiku)',
} satisfies NamespaceTranslations<'settingDocs'>;

import type { NamespaceTranslations } from '../../catalogue-types.js';

export default {
  title: 'Análise',
  intro:
    'Envia uma transcrição compacta desta conversa pelo ccflare a um modelo Claude: o que foi pedido, o que foi feito, para onde foram os tokens, problemas. A requisição é registrada com o agente ccflare-analysis e usa uma conta como qualquer outra.',
  disabled: 'A análise de conversas está desligada. Ative “Análise de conversas” nas Configurações para usá-la.',
  model: 'Modelo',
  defaultModel: 'Padrão ({model})',
  analyze: 'Analisar',
  running: 'Analisando…',
  runningHint: 'O modelo está lendo a transcrição; isso pode levar um minuto.',
  none: 'Ainda não analisada.',
  meta: 'Por {model}, {time}',
  stillRunning: 'Uma análise está em andamento.',
  failed: 'A análise falhou: {error}',
} satisfies NamespaceTranslations<'conversationAnalysis'>;

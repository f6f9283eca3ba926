import type { NamespaceTranslations } from '../../catalogue-types.js';

export default {
  strategy: 'Estratégia de escolha de conta',
  sessionMs: 'Janela de sessão da estratégia session',
  quotaThreshold5h:
    'Pula uma conta que passou deste percentual da sua janela de 5h enquanto outra puder atender (0: desligado)',
  quotaThreshold7d:
    'Pula uma conta que passou deste percentual da sua janela de 7d enquanto outra puder atender (0: desligado)',
  quotaThresholds:
    'Limites por família de modelo e por conta, em percentuais JSON: {"perFamily":{"opus":{"7d":50}},"perAccount":{"work":{"5h":90,"perFamily":{"opus":{"7d":70}}}}}; vale o mais específico',
  stickyWaitMs:
    'Estratégia sticky: segura a requisição quando a conta atual se libera dentro deste tempo (2m), em vez de trocar de conta',
  strategyAffinity:
    'round-robin, least-used, drain-soonest, hybrid: mantém uma sessão do Claude Code na conta que a atendeu',
  hybridWeights: 'Pesos da pontuação da estratégia hybrid: health,bucket,quota,rest',
  hybridBucket:
    'Balde de tokens por conta da estratégia hybrid: capacidade,reposição por minuto (acima disso: esperas de 500 ms)',
  requestRetentionDays: 'Dias em que os registros de requisições são mantidos',
  payloadRetentionDays: 'Dias em que os conteúdos (payloads) são mantidos',
  payloadCapture: 'Armazena os corpos das requisições e das respostas',
  payloadMaxBytes: 'Limite por corpo armazenado',
  defaultAgentModel:
    'Modelo de todo subagente sem preferência nem id de modelo completo no seu arquivo (claude-… ou opus, sonnet, haiku); vazio: mantém o modelo do cliente',
  conversationAnalysis:
    'Permite "Analisar" uma conversa: a transcrição é enviada pelo ccflare a um modelo Claude (agente ccflare-analysis), usando os tokens de uma conta',
  conversationAnalysisModel:
    'Modelo que a análise de conversa usa quando a requisição não indica nenhum (um id Claude ou opus, sonnet, haiku)',
} satisfies NamespaceTranslations<'settingDocs'>;

/** English messages of the conversation analysis panel (Conversations screen). */
export const conversationAnalysis = {
  title: 'Analysis',
  intro:
    'Sends a compact transcript of this conversation through ccflare to a Claude model: what was asked, what was done, where tokens went, problems. The request is recorded with agent ccflare-analysis and uses an account like any other.',
  disabled: 'Conversation analysis is off. Turn on “Conversation analysis” in Settings to use it.',
  model: 'Model',
  defaultModel: 'Default ({model})',
  analyze: 'Analyze',
  running: 'Analyzing…',
  runningHint: 'The model is reading the transcript; this can take a minute.',
  none: 'Not analyzed yet.',
  meta: 'By {model}, {time}',
  stillRunning: 'An analysis is running.',
  failed: 'The analysis failed: {error}',
};

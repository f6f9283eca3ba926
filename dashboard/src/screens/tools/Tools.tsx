/**
 * Tools: what the gateway may change in a request before forwarding it. The system-prompt
 * interceptor (template, last seen prompt, preview) and the global model rules with fallback.
 */
import { InterceptorSection } from './interceptor';
import { ModelRulesSection } from './model-rules';
import './tools.css';
import { tools as messages } from '../../i18n/en/tools';
import { translator } from '../../i18n/i18n';

const t = translator('tools', messages);

export function Tools() {
  return (
    <>
      <div className="page-head">
        <h1>{t('title')}</h1>
      </div>
      <InterceptorSection />
      <ModelRulesSection />
    </>
  );
}

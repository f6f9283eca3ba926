/**
 * Tools: what the gateway may change in a request before forwarding it. The system-prompt
 * interceptor (template, last seen prompt, preview) and the global model rules with fallback.
 */
import { InterceptorSection } from './interceptor';
import { ModelRulesSection } from './model-rules';
import './tools.css';

export function Tools() {
  return (
    <>
      <div className="page-head">
        <h1>Tools</h1>
      </div>
      <InterceptorSection />
      <ModelRulesSection />
    </>
  );
}

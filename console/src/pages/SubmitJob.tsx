/**
 * Submitting a job: the pipeline module's path, then its parameters as a form from GET /api/templates/describe
 * (name, type, default, required); POST /api/jobs. The server's validation errors are shown with their key.
 */
import { useState, type FormEvent } from 'react';
import { api, query } from '../api/client.ts';
import type { Job, ParamValue, Template, TemplateParam } from '../api/types.ts';
import { ErrorBox } from '../components/common.tsx';

/** The form's text values as the API's typed parameters; empty optional fields are left out. */
export function paramValues(params: readonly TemplateParam[], texts: Record<string, string>): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {};
  for (const p of params) {
    const text = texts[p.name];
    if (text === undefined || text === '') continue;
    if (p.type === 'boolean') out[p.name] = text === 'true';
    else if (p.type === 'number' || p.type === 'integer') out[p.name] = Number.isFinite(Number(text)) && text.trim() !== '' ? Number(text) : text;
    else out[p.name] = text;
  }
  return out;
}

export function SubmitJob({ onSubmitted }: { onSubmitted: (job: Job) => void }) {
  const [pipeline, setPipeline] = useState('');
  const [template, setTemplate] = useState<Template | null>(null);
  const [texts, setTexts] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState<'describe' | 'submit' | null>(null);

  const describe = async (e?: FormEvent) => {
    e?.preventDefault();
    setBusy('describe');
    setError(undefined);
    try {
      const t = await api<Template>('GET', `/api/templates/describe${query({ pipeline: pipeline.trim() })}`);
      setTemplate(t);
      setTexts(Object.fromEntries(t.params.map((p) => [p.name, p.default === null ? '' : String(p.default)])));
    } catch (err) {
      setTemplate(null);
      setError(err);
    } finally {
      setBusy(null);
    }
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (template === null) return;
    setBusy('submit');
    setError(undefined);
    try {
      const job = await api<Job>('POST', '/api/jobs', { body: { pipeline: template.pipeline, params: paramValues(template.params, texts) } });
      onSubmitted(job);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };

  return (
    <section className="panel submit" aria-label="submit a job">
      <h2>Submit a job</h2>
      <form onSubmit={describe} className="row">
        <input name="pipeline" value={pipeline} onChange={(e) => { setPipeline(e.target.value); setTemplate(null); }} placeholder="pipeline module, e.g. examples/quickstart.ts" size={44} />
        <button type="submit" disabled={pipeline.trim() === '' || busy !== null}>Load parameters</button>
      </form>
      {template !== null ? (
        <form onSubmit={submit} className="params">
          {template.description ? <p className="muted">{template.description}</p> : null}
          {template.params.length === 0 ? <p className="muted">This pipeline takes no parameters.</p> : null}
          <div className="param-grid">
            {template.params.map((p) => (
              <label key={p.name} title={p.description ?? ''}>
                <span>{p.name}{p.required ? <b className="req">*</b> : null} <small>{p.type}</small></span>
                {p.type === 'boolean' ? (
                  <select name={`param-${p.name}`} value={texts[p.name] ?? ''} onChange={(e) => setTexts({ ...texts, [p.name]: e.target.value })}>
                    <option value="">(default)</option><option value="true">true</option><option value="false">false</option>
                  </select>
                ) : (
                  <input name={`param-${p.name}`} value={texts[p.name] ?? ''} onChange={(e) => setTexts({ ...texts, [p.name]: e.target.value })} placeholder={p.description ?? ''} />
                )}
              </label>
            ))}
          </div>
          <button type="submit" className="primary" disabled={busy !== null}>{busy === 'submit' ? 'Starting…' : 'Run'}</button>
        </form>
      ) : null}
      <ErrorBox error={error} />
    </section>
  );
}

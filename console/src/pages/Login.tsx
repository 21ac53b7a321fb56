/** The login: a token (from `riffle server token create`), checked with GET /api/whoami, kept in sessionStorage. */
import { useState, type FormEvent } from 'react';
import { api, setToken } from '../api/client.ts';
import type { TokenRecord } from '../api/types.ts';
import { ErrorBox } from '../components/common.tsx';

export function Login({ onLogin, reason }: { onLogin: (who: TokenRecord) => void; reason: string | null }) {
  const [value, setValue] = useState('');
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const token = value.trim();
    if (token === '') return;
    setBusy(true);
    try {
      const who = await api<TokenRecord>('GET', '/api/whoami', { token });
      setToken(token);
      onLogin(who);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="login">
      <form onSubmit={submit} className="login-box">
        <div className="brand big">riffle<span>console</span></div>
        <p className="muted">Sign in with an API token. An admin makes one with <code>riffle server token create --role viewer --dir DIR</code>.</p>
        {reason !== null ? <div className="notice">{reason}</div> : null}
        <label>
          Token
          <input name="token" type="password" autoComplete="off" autoFocus value={value} onChange={(e) => setValue(e.target.value)} placeholder="riffle_…" />
        </label>
        <button type="submit" className="primary" disabled={busy || value.trim() === ''}>Sign in</button>
        <ErrorBox error={error} />
        <p className="muted small">The token stays in this tab (sessionStorage) and is sent as a bearer token; closing the tab signs out.</p>
      </form>
    </div>
  );
}

import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, messageOf, onSessionsChanged, type SessionInfo } from '../api.ts';
import { Alert } from './ui.tsx';
import { formatDateTime, t } from '../i18n.ts';

const CLIENTS: Record<string, () => string> = { web: () => t('Web Client'), desktop: () => t('Desktop Client'), mobile: () => t('Mobile Client') };

function describe(session: SessionInfo): string {
  const client = CLIENTS[session.client]?.() ?? session.client;
  return session.deviceName ? `${client} · ${session.deviceName}` : client;
}

function when(iso: string): string {
  return formatDateTime(iso);
}

/** Where the account is logged in, with a way to end a session on a lost or shared device. */
export function SessionsSection(): JSX.Element {
  const [sessions, setSessions] = useState<SessionInfo[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  // Only the newest of overlapping loads may set the list: an older answer may predate a change.
  const latest = useRef(0);
  const load = (): void => {
    const mine = ++latest.current;
    api
      .sessions()
      .then((result) => {
        if (mine !== latest.current) return;
        setSessions(result.sessions);
        setError(null);
      })
      .catch((failure: unknown) => {
        if (mine === latest.current) setError(messageOf(failure));
      });
  };
  // Turning two-factor on or off, a new password (and so on) end the other sessions: show that at once.
  useEffect(() => {
    load();
    return onSessionsChanged(load);
  }, []);

  const revoke = async (id: string): Promise<void> => {
    setError(null);
    try {
      await api.revokeSession(id);
      load();
    } catch (failure) {
      setError(messageOf(failure));
    }
  };

  return (
    <section class="sessions" aria-labelledby="sessions-title">
      <h3 id="sessions-title">{t('Where you are logged in')}</h3>
      {error && <Alert>{error}</Alert>}
      {sessions === null ? (
        <p class="muted">{t('Loading…')}</p>
      ) : (
        <ul class="session-list">
          {sessions.map((session) => (
            <li key={session.id} class="session">
              <div>
                <span class="session-name">{describe(session)}</span>
                {session.current && <span class="badge badge-on">{t('This session')}</span>}
                <span class="hint session-meta">
                  {t('Last active {time}', { time: when(session.lastSeenAt) })}
                  {session.ip ? ` · ${session.ip}` : ''}
                </span>
              </div>
              {!session.current && (
                <button type="button" class="button button-secondary button-small" onClick={() => void revoke(session.id)}>
                  {t('End session')}
                  <span class="visually-hidden"> {t('on {device}', { device: describe(session) })}</span>
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, messageOf, onSessionsChanged, type TrustedDevice } from '../api.ts';
import { Alert } from './ui.tsx';
import { formatDateTime, t } from '../i18n.ts';

const CLIENTS: Record<string, () => string> = { web: () => t('Web Client'), desktop: () => t('Desktop Client'), mobile: () => t('Mobile Client') };

function day(iso: string): string {
  return formatDateTime(iso, { dateStyle: 'medium' });
}

/**
 * Devices that skip the code at login. Removing one needs no Password window: it only takes
 * access away (that device is asked for a code again).
 */
export function TrustedDevicesSection(): JSX.Element {
  const [devices, setDevices] = useState<TrustedDevice[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const latest = useRef(0);
  const load = (): void => {
    const mine = ++latest.current;
    api
      .trustedDevices()
      .then((result) => {
        if (mine !== latest.current) return;
        setDevices(result.devices);
        setError(null);
      })
      .catch((failure: unknown) => {
        if (mine === latest.current) setError(messageOf(failure));
      });
  };
  // A new password or a changed authenticator ends trust: reload with the sessions.
  useEffect(() => {
    load();
    return onSessionsChanged(load);
  }, []);

  const act = async (work: () => Promise<unknown>): Promise<void> => {
    setError(null);
    try {
      await work();
      load();
    } catch (failure) {
      setError(messageOf(failure));
    }
  };

  return (
    <section class="sessions trusted-devices" aria-labelledby="trusted-devices-title">
      <h3 id="trusted-devices-title">{t('Trusted devices')}</h3>
      <p class="hint">{t('These devices log in with your password only, without a code, until the date shown.')}</p>
      {error && <Alert>{error}</Alert>}
      {devices === null ? (
        <p class="muted">{t('Loading…')}</p>
      ) : devices.length === 0 ? (
        <p class="muted">{t('No trusted devices.')}</p>
      ) : (
        <>
          <ul class="session-list">
            {devices.map((device) => (
              <li key={device.id} class="session">
                <div>
                  <span class="session-name">
                    {device.name} · {CLIENTS[device.client]?.() ?? device.client}
                  </span>
                  {device.current && <span class="badge badge-on">{t('This device')}</span>}
                  <span class="hint session-meta">
                    {t('First used {first} · last used {last} · trusted until {until}', { first: day(device.createdAt), last: day(device.lastUsedAt), until: day(device.expiresAt) })}
                  </span>
                </div>
                <button type="button" class="button button-secondary button-small" onClick={() => void act(() => api.removeTrustedDevice(device.id))}>
                  {t('Remove')}
                  <span class="visually-hidden"> {device.name}</span>
                </button>
              </li>
            ))}
          </ul>
          <div class="inline-actions">
            <button type="button" class="button button-secondary" onClick={() => void act(() => api.removeAllTrustedDevices())}>
              {t('Remove all')}
            </button>
          </div>
        </>
      )}
    </section>
  );
}

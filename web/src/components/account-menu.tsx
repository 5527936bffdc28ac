import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Me } from '../api.ts';
import { ROUTES, navigate } from '../router.ts';
import { t } from '../i18n.ts';
import { LanguagePicker } from './language-picker.tsx';

interface MenuItem {
  label: string;
  run: () => void;
}

/**
 * The account menu at the top-right corner (menu-button pattern): Enter, Space or ArrowDown open
 * it on the first item, arrows move, Escape closes and returns focus to the button.
 */
export function AccountMenu({ me, onLogOut, onLanguage }: { me: Me; onLogOut: () => void; onLanguage: (code: string) => void }): JSX.Element {
  const [open, setOpen] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  const menu = useRef<HTMLDivElement>(null);
  const focusOnOpen = useRef<'first' | 'last'>('first');

  const items: MenuItem[] = [
    { label: t('Change Password & Security'), run: () => navigate(ROUTES.password) },
    ...(me.role === 'admin' ? [{ label: t('Administration'), run: () => navigate(ROUTES.admin) }] : []),
    { label: t('Log Out'), run: onLogOut },
  ];

  const menuItems = (): HTMLElement[] => Array.from(menu.current?.querySelectorAll<HTMLElement>('[role="menuitem"]') ?? []);

  useEffect(() => {
    if (!open) return undefined;
    const list = menuItems();
    (focusOnOpen.current === 'first' ? list[0] : list[list.length - 1])?.focus();
    const onPointer = (event: PointerEvent): void => {
      const target = event.target as Node;
      if (!menu.current?.contains(target) && !button.current?.contains(target)) setOpen(false);
    };
    document.addEventListener('pointerdown', onPointer);
    return () => document.removeEventListener('pointerdown', onPointer);
  }, [open]);

  const close = (returnFocus: boolean): void => {
    setOpen(false);
    if (returnFocus) button.current?.focus();
  };

  const onButtonKey = (event: KeyboardEvent): void => {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      focusOnOpen.current = event.key === 'ArrowDown' ? 'first' : 'last';
      setOpen(true);
    }
  };

  const onMenuKey = (event: KeyboardEvent): void => {
    const list = menuItems();
    const index = list.indexOf(document.activeElement as HTMLElement);
    const move = (to: number): void => {
      event.preventDefault();
      list[(to + list.length) % list.length]?.focus();
    };
    if (event.key === 'ArrowDown') move(index + 1);
    else if (event.key === 'ArrowUp') move(index - 1);
    else if (event.key === 'Home') move(0);
    else if (event.key === 'End') move(list.length - 1);
    else if (event.key === 'Escape') {
      event.preventDefault();
      close(true);
    } else if (event.key === 'Tab') close(false);
  };

  const initial = (me.displayName || me.username).trim().charAt(0).toUpperCase();
  return (
    <div class="account-menu">
      <button
        ref={button}
        type="button"
        class="account-button"
        id="account-menu-button"
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls="account-menu"
        onClick={() => {
          focusOnOpen.current = 'first';
          setOpen(!open);
        }}
        onKeyDown={onButtonKey}
      >
        <span class="avatar" aria-hidden="true">
          {initial}
        </span>
        <span class="visually-hidden">{t('Account')} </span>
        <span class="account-name">{me.username}</span>
        <svg class="chevron" aria-hidden="true" viewBox="0 0 16 16" width="14" height="14">
          <path d="M4 6l4 4 4-4" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" />
        </svg>
      </button>
      {open && (
        <div ref={menu} class="menu-popover">
          <div class="menu-header" aria-hidden="true">
            <span class="menu-name">{me.displayName || me.username}</span>
            <span class="menu-sub">{me.email ?? me.username}</span>
          </div>
          <ul id="account-menu" class="menu" role="menu" aria-labelledby="account-menu-button" onKeyDown={onMenuKey}>
            {items.map((item) => (
              <li role="none" key={item.label}>
                <button
                  type="button"
                  role="menuitem"
                  tabIndex={-1}
                  class="menu-item"
                  onClick={() => {
                    close(false);
                    item.run();
                  }}
                >
                  {item.label}
                </button>
              </li>
            ))}
          </ul>
          <div class="menu-language">
            <LanguagePicker id="account-language" onPick={onLanguage} />
          </div>
        </div>
      )}
    </div>
  );
}

import type { ComponentChildren, JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { keepCodeDigits } from '../codes.ts';
import { onLinkClick } from '../router.ts';
import { t } from '../i18n.ts';

interface FieldProps extends Omit<JSX.InputHTMLAttributes<HTMLInputElement>, 'label' | 'value' | 'onInput'> {
  label: string;
  value: string;
  onValue: (value: string) => void;
  hint?: string;
  /** Shows the hint between the label and the input: for a narrow input whose hint is wider. */
  hintFirst?: boolean;
  error?: string | null;
  id: string;
}

/** A labelled input; its hint and error are read out with it. */
export function Field({ label, value, onValue, hint, hintFirst = false, error, id, ...rest }: FieldProps): JSX.Element {
  const described = [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(' ');
  const hintText = hint && (
    <p id={`${id}-hint`} class="hint">
      {hint}
    </p>
  );
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {hintFirst && hintText}
      <input
        {...rest}
        id={id}
        value={value}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={described || undefined}
        onInput={(event) => onValue((event.currentTarget as HTMLInputElement).value)}
      />
      {!hintFirst && hintText}
      {error && (
        <p id={`${id}-error`} class="field-error">
          {error}
        </p>
      )}
    </div>
  );
}

/** An error the user must notice: announced at once. */
export function Alert({ children }: { children: ComponentChildren }): JSX.Element {
  return (
    <div class="alert alert-error" role="alert">
      {children}
    </div>
  );
}

/** How long a result message stays on screen at least; hovering or focusing it keeps it longer. */
export const RESULT_VISIBLE_MS = 8_000;

/**
 * A confirmation such as "Edited successfully.": announced politely and shown fixed at the top of
 * the viewport, so that focus moving on (to recovery codes, say) never scrolls it out of sight.
 * It fades after RESULT_VISIBLE_MS unless the pointer or focus is on it; Dismiss hides it at once.
 */
export function Success({ children }: { children: ComponentChildren }): JSX.Element | null {
  const [hidden, setHidden] = useState(false);
  const [held, setHeld] = useState(false);
  const box = useRef<HTMLDivElement>(null);
  // A new message in the same place shows again, for its own full time.
  const text = typeof children === 'string' ? children : null;
  useEffect(() => {
    setHidden(false);
  }, [text]);
  useEffect(() => {
    if (held || hidden) return undefined;
    const timer = setTimeout(() => setHidden(true), RESULT_VISIBLE_MS);
    return () => clearTimeout(timer);
  }, [held, hidden]);
  if (hidden) return null;
  const release = (event: FocusEvent): void => {
    if (!box.current?.contains(event.relatedTarget as Node | null)) setHeld(false);
  };
  return (
    <div
      ref={box}
      class="alert alert-success toast"
      role="status"
      onMouseEnter={() => setHeld(true)}
      onMouseLeave={() => setHeld(false)}
      onFocusIn={() => setHeld(true)}
      onFocusOut={release}
    >
      <svg aria-hidden="true" viewBox="0 0 20 20" width="18" height="18">
        <path d="M4 10.5l4 4 8-9" fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" stroke-linejoin="round" />
      </svg>
      <span class="toast-text">{children}</span>
      <button type="button" class="toast-close" aria-label={t('Dismiss')} onClick={() => setHidden(true)}>
        <svg aria-hidden="true" viewBox="0 0 16 16" width="14" height="14">
          <path d="M4 4l8 8M12 4l-8 8" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" />
        </svg>
      </button>
    </div>
  );
}

export function Link({ href, children, class: className, ...rest }: JSX.HTMLAttributes<HTMLAnchorElement> & { href: string }): JSX.Element {
  return (
    <a {...rest} href={href} class={className} onClick={(event) => onLinkClick(event, href)}>
      {children}
    </a>
  );
}

/** A 6-digit code field: numeric keyboard on phones, and the browser may fill a code from SMS/mail. */
export function CodeField(props: {
  id: string;
  value: string;
  onValue: (value: string) => void;
  error?: string | null;
  label?: string;
  /** What to enter; shown above the short input, at the width of the form rather than of the input. */
  hint?: string;
}): JSX.Element {
  return (
    <Field
      id={props.id}
      label={props.label ?? t('Authentication Code')}
      value={props.value}
      // No maxlength: "123 456" pasted into a 6-character field would lose its last digit.
      onValue={(value) => props.onValue(keepCodeDigits(value))}
      error={props.error}
      hint={props.hint}
      hintFirst
      class="code-input"
      inputMode="numeric"
      autocomplete="one-time-code"
      pattern="[0-9]{6}"
      required
      spellcheck={false}
    />
  );
}

/** A recovery code field: any case, dash or space optional; normalized on submit. */
export function RecoveryCodeField(props: { id: string; value: string; onValue: (value: string) => void; error?: string | null; label?: string; hint?: string }): JSX.Element {
  return (
    <Field
      id={props.id}
      label={props.label ?? t('Recovery Code')}
      value={props.value}
      onValue={props.onValue}
      error={props.error}
      hint={props.hint}
      hintFirst
      autocomplete="off"
      autoCapitalize="characters"
      spellcheck={false}
      placeholder="ABCDE-FGHJK"
      class="code-input code-input-recovery"
      required
    />
  );
}

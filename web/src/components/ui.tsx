import type { ComponentChildren, JSX } from 'preact';
import { onLinkClick } from '../router.ts';

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

/** A confirmation such as "Edited successfully.": announced politely. */
export function Success({ children }: { children: ComponentChildren }): JSX.Element {
  return (
    <div class="alert alert-success" role="status">
      <svg aria-hidden="true" viewBox="0 0 20 20" width="18" height="18">
        <path d="M4 10.5l4 4 8-9" fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" stroke-linejoin="round" />
      </svg>
      <span>{children}</span>
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
      label={props.label ?? 'Authentication Code'}
      value={props.value}
      onValue={(value) => props.onValue(value.replace(/\D/g, '').slice(0, 6))}
      error={props.error}
      hint={props.hint}
      hintFirst
      class="code-input"
      inputMode="numeric"
      autocomplete="one-time-code"
      pattern="[0-9]{6}"
      maxLength={6}
      required
      spellcheck={false}
    />
  );
}

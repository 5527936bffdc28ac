import type { ComponentChildren, JSX } from 'preact';
import { useLayoutEffect, useRef } from 'preact/hooks';

let nextId = 0;

interface DialogProps {
  title: string;
  onClose: () => void;
  children: ComponentChildren;
  /** Shown under the title and used as the dialog's description. */
  description?: string;
}

/**
 * A modal built on the native <dialog>: showModal() makes the page behind it inert, so focus
 * stays inside; on close, focus goes back to whatever opened it (the checkbox, the row's button).
 */
export function Dialog({ title, onClose, children, description }: DialogProps): JSX.Element {
  const ref = useRef<HTMLDialogElement>(null);
  const ids = useRef({ title: `dialog-title-${++nextId}`, description: `dialog-description-${nextId}` });

  useLayoutEffect(() => {
    const dialog = ref.current;
    if (!dialog) return undefined;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    dialog.showModal();
    const first = dialog.querySelector<HTMLElement>('[data-autofocus], input:not([disabled]), button:not([disabled])');
    first?.focus();
    return () => {
      if (dialog.open) dialog.close();
      // The opener may have been re-rendered away; then there is nothing sensible to return to.
      if (opener?.isConnected) opener.focus();
    };
  }, []);

  const onCancel = (event: Event): void => {
    // Escape: let the owner decide (it unmounts the dialog) so state and DOM never disagree.
    event.preventDefault();
    onClose();
  };

  return (
    <dialog
      ref={ref}
      class="dialog"
      aria-labelledby={ids.current.title}
      aria-describedby={description ? ids.current.description : undefined}
      onCancel={onCancel}
    >
      <h2 id={ids.current.title} class="dialog-title">
        {title}
      </h2>
      {description && (
        <p id={ids.current.description} class="dialog-description">
          {description}
        </p>
      )}
      {children}
    </dialog>
  );
}

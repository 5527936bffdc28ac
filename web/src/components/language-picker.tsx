import type { JSX } from 'preact';
import { LANGUAGES, currentLanguage, setLanguage, t } from '../i18n.ts';

/**
 * The language of the interface, each option named in its own language (so a reader who cannot
 * read the current one still finds theirs). `onPick` decides where the choice is kept.
 */
export function LanguagePicker({ id, onPick }: { id: string; onPick: (code: string) => void }): JSX.Element {
  return (
    <div class="language-picker">
      <label for={id} class="language-label">
        <svg aria-hidden="true" viewBox="0 0 20 20" width="16" height="16">
          <circle cx="10" cy="10" r="7.5" fill="none" stroke="currentColor" stroke-width="1.5" />
          <path d="M2.5 10h15M10 2.5c2.2 2.2 3.2 4.7 3.2 7.5s-1 5.3-3.2 7.5M10 2.5C7.8 4.7 6.8 7.2 6.8 10s1 5.3 3.2 7.5" fill="none" stroke="currentColor" stroke-width="1.5" />
        </svg>
        <span class="visually-hidden">{t('Language')}</span>
      </label>
      <select
        id={id}
        class="language-select"
        value={currentLanguage()}
        onChange={(event) => {
          const code = (event.currentTarget as HTMLSelectElement).value;
          setLanguage(code);
          onPick(code);
        }}
      >
        {LANGUAGES.map((language) => (
          <option key={language.code} value={language.code} lang={language.code}>
            {language.name}
          </option>
        ))}
      </select>
    </div>
  );
}

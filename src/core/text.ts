/**
 * A sentence for a person, kept translatable: its catalog key (the English ICU message, as in
 * locales/en/server.json) and the values of its placeholders, with the English already rendered
 * (`english`, what logs and the English answer show). A value may itself be a Text ("15 minutes"),
 * rendered in the same language. Pure data: the catalogs are read in src/i18n.
 */
export interface Text {
  readonly key: string;
  readonly values: Readonly<Record<string, string | number | Text>>;
  readonly english: string;
}

export function isText(value: unknown): value is Text {
  return typeof value === 'object' && value !== null && typeof (value as Text).key === 'string' && typeof (value as Text).english === 'string';
}

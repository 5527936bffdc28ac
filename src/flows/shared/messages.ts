/** The help page's confirmation, which every settings change answers with (clients show it as is). */
export const EDITED_SUCCESSFULLY = 'Edited successfully.';

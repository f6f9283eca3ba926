/** One step of the schema (migrations.ts lists them; the files that own a table define theirs). */
export interface Migration {
  version: number;
  name: string;
  up: string;
}

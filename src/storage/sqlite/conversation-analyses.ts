/**
 * `conversation_analyses` (issue 16, item 6): each "Analyze" of a conversation, running, done or
 * failed, with the model's answer and the id of the request that carried it.
 */
import type Database from 'better-sqlite3';
import type { ConversationAnalysisRow } from '../contract/conversations.js';
import { type AnalysisRow, analysisOf } from '../rows/conversation-rows.js';
import type { Migration } from './migration.js';

export const CONVERSATION_ANALYSES_MIGRATION: Migration = {
  version: 17,
  name: 'conversation_analyses',
  up: `
    CREATE TABLE conversation_analyses (
      id TEXT PRIMARY KEY,
      conversation_id TEXT NOT NULL,
      model TEXT NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed')),
      text TEXT,
      error TEXT,
      request_id TEXT,
      created_at INTEGER NOT NULL
    );
    CREATE INDEX conversation_analyses_conversation ON conversation_analyses (conversation_id, created_at);
  `,
};

export class SqliteConversationAnalyses {
  private readonly insert: Database.Statement<[string, string, string, number]>;
  private readonly finish: Database.Statement<[string, string | null, string | null, string | null, string]>;
  private readonly latest: Database.Statement<[string], AnalysisRow>;

  constructor(db: Database.Database) {
    this.insert = db.prepare(
      "INSERT INTO conversation_analyses (id, conversation_id, model, status, created_at) VALUES (?, ?, ?, 'running', ?)",
    );
    this.finish = db.prepare(
      'UPDATE conversation_analyses SET status = ?, text = ?, error = ?, request_id = ? WHERE id = ?',
    );
    this.latest = db.prepare(
      'SELECT * FROM conversation_analyses WHERE conversation_id = ? ORDER BY created_at DESC, id DESC LIMIT 1',
    );
  }

  start(a: { id: string; conversationId: string; model: string; createdAt: number }): void {
    this.insert.run(a.id, a.conversationId, a.model, a.createdAt);
  }

  end(
    id: string,
    o: { status: 'done' | 'failed'; text: string | null; error: string | null; requestId: string | null },
  ): void {
    this.finish.run(o.status, o.text, o.error, o.requestId, id);
  }

  latestOf(conversationId: string): ConversationAnalysisRow | null {
    const r = this.latest.get(conversationId);
    return r === undefined ? null : analysisOf(r);
  }
}

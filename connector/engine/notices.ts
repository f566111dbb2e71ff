/**
 * Notices: what a record mapping has to tell the person running the sync that is not an error
 * (a price point missing from the list-price data file: docs/focus.md, List prices). A mapping
 * reports one through the NoticeSink it is handed (BucketPlan.toRecord's last argument); on a
 * decode worker the page's notices travel back with its records (Page.notices), on the main
 * thread they are collected the same way (engine/decode/decode.ts), and the read logs each distinct
 * notice once per run as a WARN line (NoticeLog, engine/read.ts). A notice's text is its
 * identity: it names the thing (the price point), never a record, so a thousand rows with the
 * same missing price give one line.
 */
export type NoticeSink = (message: string) => void;

/** Logs each distinct notice once (a run's, whichever thread or stream it came from). */
export class NoticeLog {
  private readonly seen = new Set<string>();

  constructor(private readonly warn: (message: string) => void) {}

  add(message: string): void {
    if (this.seen.has(message)) return;
    this.seen.add(message);
    this.warn(message);
  }

  addAll(messages: Iterable<string> | undefined): void {
    for (const m of messages ?? []) this.add(m);
  }
}

/** A sink that drops notices: for a mapping called outside a read (tests, golden ids). */
export const IGNORE_NOTICES: NoticeSink = () => undefined;

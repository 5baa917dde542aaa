import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LineAppender } from '../../private/line-appender';
import { SnsErrors } from './errors';

/** A topic as `topics.json` stores it. */
export interface Topic {
  name: string;
  attributes: Record<string, string>;
  tags: Record<string, string>;
  /** The last FIFO sequence number handed out. */
  sequence: number;
}

/**
 * The topics of one endpoint: `topics.json` for their names and attributes, one
 * `<topicName>.jsonl` per topic for its messages, and the ARNs naming them.
 */
export class TopicStore {
  private readonly topics = new Map<string, Topic>();
  private readonly appenders = new Map<string, LineAppender>();
  private saving: Promise<void> = Promise.resolve();
  private nextSave: Promise<void> | undefined;

  constructor(
    private readonly dir: string,
    private readonly region: string,
    readonly accountId: string,
  ) {}

  /** Creates the directory if missing and reads the topics saved in it. */
  async load(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    let saved: Topic[] = [];
    try {
      saved = JSON.parse(await readFile(join(this.dir, 'topics.json'), 'utf8')) as Topic[];
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    for (const t of saved) this.topics.set(t.name, t);
  }

  async close(): Promise<void> {
    await this.saving;
    await Promise.all([...this.appenders.values()].map((a) => a.close()));
  }

  arn(name: string): string {
    return `arn:aws:sns:${this.region}:${this.accountId}:${name}`;
  }

  /** The topic an ARN names; InvalidParameter for a malformed ARN, NotFound for an unknown topic. */
  topicOf(arn: string): Topic {
    const prefix = `arn:aws:sns:${this.region}:${this.accountId}:`;
    if (!/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]+$/.test(arn))
      throw SnsErrors.invalidParameter('TopicArn');
    const topic = arn.startsWith(prefix) ? this.topics.get(arn.slice(prefix.length)) : undefined;
    if (!topic) throw SnsErrors.topicNotFound();
    return topic;
  }

  get(name: string): Topic | undefined {
    return this.topics.get(name);
  }

  /** Topic names in creation order. */
  names(): string[] {
    return [...this.topics.keys()];
  }

  /** Adds a topic, saves the topic list and creates the topic's message file. */
  async add(topic: Topic): Promise<void> {
    this.topics.set(topic.name, topic);
    await this.save();
    await writeFile(join(this.dir, `${topic.name}.jsonl`), '', { flag: 'a' });
  }

  /** Removes a topic, closes its appender, saves the topic list and deletes the topic's message file. */
  async remove(topic: Topic): Promise<void> {
    this.topics.delete(topic.name);
    await this.appenders.get(topic.name)?.close();
    this.appenders.delete(topic.name);
    await this.save();
    await rm(join(this.dir, `${topic.name}.jsonl`), { force: true });
  }

  /**
   * Rewrites topics.json atomically. Saves run one at a time; requests arriving while
   * one runs share the next save, which writes the state as of its start.
   */
  save(): Promise<void> {
    if (this.nextSave) return this.nextSave;
    const path = join(this.dir, 'topics.json');
    const next = this.saving.then(async () => {
      this.nextSave = undefined;
      await writeFile(`${path}.tmp`, `${JSON.stringify([...this.topics.values()], null, 2)}\n`);
      await rename(`${path}.tmp`, path);
    });
    this.nextSave = next;
    this.saving = next.catch(() => undefined);
    return next;
  }

  /** The group-commit appender of the topic's message file, opened on first use. */
  appenderOf(topic: Topic): LineAppender {
    let appender = this.appenders.get(topic.name);
    if (!appender) {
      appender = new LineAppender(join(this.dir, `${topic.name}.jsonl`));
      this.appenders.set(topic.name, appender);
    }
    return appender;
  }
}

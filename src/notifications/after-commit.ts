import type { EventArgs, EventSubscriber, TransactionEventArgs } from '@mikro-orm/core';
import { OutboxMessage } from './outbox-message.entity';

type Transaction = object;
const isSavepoint = (trx: Transaction) => 'savepointName' in trx;

/**
 * Notes each queued email as it is inserted, under the transaction that inserts it (the
 * caller's, or the one a flush opens), and hands the ids to `send` once the outermost
 * transaction commits. A savepoint passes its emails up to its transaction when it is
 * released; a rollback (of either) forgets them, so they are never sent.
 */
export class SendAfterCommit implements EventSubscriber<OutboxMessage> {
  private readonly written = new WeakMap<Transaction, string[]>();
  private readonly parentOf = new WeakMap<Transaction, Transaction>();
  /** The transaction a savepoint is being opened in, between the two start events (per EntityManager). */
  private readonly opening = new WeakMap<object, Transaction>();

  constructor(private readonly send: (ids: string[]) => Promise<void>) {}

  getSubscribedEntities() {
    return [OutboxMessage];
  }

  afterCreate({ entity, em }: EventArgs<OutboxMessage>): void {
    const trx = em.getTransactionContext<Transaction>();
    if (!trx || entity.channel !== 'email' || entity.status !== 'queued') return;
    this.written.set(trx, [...(this.written.get(trx) ?? []), entity.id]);
  }

  beforeTransactionStart({ em, transaction }: TransactionEventArgs): void {
    if (transaction) this.opening.set(em, transaction);
  }

  afterTransactionStart({ em, transaction }: TransactionEventArgs): void {
    const parent = this.opening.get(em);
    if (transaction && parent && isSavepoint(transaction)) this.parentOf.set(transaction, parent);
    this.opening.delete(em);
  }

  async afterTransactionCommit({ transaction }: TransactionEventArgs): Promise<void> {
    const ids = transaction && this.written.get(transaction);
    if (!ids) return;
    this.written.delete(transaction);
    if (!isSavepoint(transaction)) return this.send(ids);
    const parent = this.parentOf.get(transaction);
    if (parent) this.written.set(parent, [...(this.written.get(parent) ?? []), ...ids]);
  }

  afterTransactionRollback({ transaction }: TransactionEventArgs): void {
    if (transaction) this.written.delete(transaction);
  }
}

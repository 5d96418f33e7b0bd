import { AsyncLocalStorage } from 'node:async_hooks';
import { EntityManager, RequestContext } from '@mikro-orm/postgresql';

/** A request's own EntityManager, forked on first use: a page that reads nothing pays nothing. */
class LazyFork {
  private fork?: EntityManager;
  private forking = false;
  constructor(private readonly root: EntityManager) {}
  get(name: string): EntityManager | undefined {
    // While forking, MikroORM asks for the context itself: none yet (as with RequestContext.create).
    if (name !== this.root.name || this.forking) return undefined;
    if (!this.fork) {
      this.forking = true;
      try {
        // disableContextResolution: fork the root itself, not the context (that would come back here)
        this.fork = this.root.fork({ useContext: true, disableContextResolution: true }) as EntityManager;
      } finally {
        this.forking = false;
      }
    }
    return this.fork;
  }
}

const requests = new AsyncLocalStorage<LazyFork>();

/** Runs `next` (the rest of a web request) with its own identity map, made when first needed. */
export function runInRequestContext(root: EntityManager, next: () => void): void {
  requests.run(new LazyFork(root), next);
}

/**
 * MikroORM's `context` option: the EntityManager of the current context. One opened with
 * RequestContext.create (jobs, the OpenID provider) comes first, then the web request's own.
 */
export function currentEntityManager(name: string): EntityManager | undefined {
  return (RequestContext.getEntityManager(name) as EntityManager | undefined) ?? requests.getStore()?.get(name);
}

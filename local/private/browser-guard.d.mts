import type { IncomingMessage, ServerResponse } from 'node:http';

/** Why `request` must be refused (a web page's, or a foreign Host), or undefined when it may go on. */
export function browserReach(request: IncomingMessage): string | undefined;
/** Answers a refused request with 403 and returns true; returns false for a request that may go on. */
export function refuseBrowserReach(request: IncomingMessage, response: ServerResponse): boolean;

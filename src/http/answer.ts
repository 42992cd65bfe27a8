// Sends a PublicAnswer through Express: JSON with res.json (so the response validator sees it),
// text as text/plain.
import type { Response } from 'express';
import type { PublicAnswer } from './types.ts';

export function sendAnswer(res: Response, answer: PublicAnswer): void {
  if (answer.contentType === 'application/json') res.status(answer.status).json(answer.body);
  else res.status(answer.status).type('text/plain').send(answer.body as string);
}

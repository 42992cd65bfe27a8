// Builds Vigil's Express app from the spec: every operation of openapi/ is routed to the
// handler of the same operationId, behind spec-driven authentication and
// express-openapi-validator (requests and responses). Does not listen.
import type { RequestListener } from 'node:http';
import cookieParser from 'cookie-parser';
import express, { type RequestHandler } from 'express';
import * as eov from 'express-openapi-validator';
import { configSecrets } from './config/secrets.ts';
import { createAuthMiddleware } from './http/auth.ts';
import { createDocsRouter } from './http/docs.ts';
import { createErrorHandler } from './http/error-handler.ts';
import { answerHeadAsGet, refuseBracketedQueryKeys, setCacheControl } from './http/http-semantics.ts';
import { createFastPath, withFastPath, type FastPath } from './http/fast-path.ts';
import { createMatchMiddleware } from './http/match.ts';
import { createSpecValidator } from './http/spec-validator.ts';
import { httpProblem, problemFor } from './http/problem.ts';
import { createRefusalRenderer, type RenderRefusal } from './http/refusal.ts';
import { createRequestLog, type RequestLog } from './http/request-log.ts';
import { createOperationMatcher, documentedQueryParameters, loadSpec, type LoadedSpec, type OperationInfo } from './http/spec.ts';
import type { AppDeps, FamilyHandlersFactory, OperationHandlers } from './http/types.ts';
import { familyHandlerFactories } from './routes/index.ts';
import { createSnapshotAnswers, PUBLIC_PROBE_OPERATIONS } from './routes/snapshot-answers.ts';

/** The answers the listener gives before the app sees a request, in the app's error shapes (see refusal.ts). */
export function refusalOf(app: express.Express): RenderRefusal | undefined {
  return (app.locals as { refusal?: RenderRefusal }).refusal;
}

export interface AppOptions {
  /** Another spec file (tests); defaults to openapi/openapi.yaml. */
  readonly specPath?: string;
  /** Shared with the fast path, so both write the same line. */
  readonly requestLog?: RequestLog;
}

/**
 * The handlers of every factory, checked against the spec the way openapi-backend's strict
 * mode does: start-up fails naming each operation without a handler and each handler
 * without an operation.
 */
export function collectHandlers(
  deps: AppDeps,
  factories: readonly FamilyHandlersFactory[],
  operations: readonly OperationInfo[],
): OperationHandlers {
  const handlers: Record<string, RequestHandler> = {};
  const twice: string[] = [];
  for (const factory of factories) {
    for (const [operationId, handler] of Object.entries(factory(deps))) {
      if (operationId in handlers) twice.push(operationId);
      handlers[operationId] = handler;
    }
  }
  const known = new Set(operations.map((op) => op.operationId));
  const unhandled = operations.filter((op) => !(op.operationId in handlers));
  const orphans = Object.keys(handlers).filter((id) => !known.has(id));
  const problems: string[] = [];
  if (unhandled.length > 0) {
    problems.push(
      `operations without a handler: ${unhandled.map((op) => `${op.operationId} (${op.method.toUpperCase()} ${op.path})`).join(', ')}`,
    );
  }
  if (orphans.length > 0) problems.push(`handlers without an operation in the spec: ${orphans.join(', ')}`);
  if (twice.length > 0) problems.push(`operations with more than one handler: ${[...new Set(twice)].join(', ')}`);
  if (problems.length > 0) throw new Error(`Vigil cannot start: ${problems.join('; ')}`);
  return handlers;
}

function validatorMiddleware(spec: LoadedSpec): RequestHandler[] {
  return eov.middleware({
    // The validator mutates what it is given; our bundled document stays frozen and shared.
    apiSpec: structuredClone(spec.document) as unknown as Parameters<typeof eov.middleware>[0]['apiSpec'],
    // Bundling left internal $refs anywhere in the document (not only under components);
    // dereferencing makes every one of them resolvable by the validator's ajv.
    $refParser: { mode: 'dereference' },
    validateRequests: { allowUnknownQueryParameters: false, allErrors: true },
    validateResponses: { allErrors: true },
    // Authentication is ours (http/auth.ts): it runs first and answers in the family's shape.
    validateSecurity: false,
  }) as unknown as RequestHandler[];
}

/** Wraps a body parser so it runs only for operations that document a request body. */
function onlyWithDocumentedBody(parser: RequestHandler, name: string): RequestHandler {
  const parse: RequestHandler = (req, res, next) => {
    // Matched once, first thing in the app (createMatchMiddleware).
    if (!(res.locals.operation as OperationInfo | undefined)?.hasRequestBody) return next();
    return parser(req, res, next);
  };
  // The layer keeps the parser's name (jsonParser, urlencodedParser) for whoever inspects the stack.
  Object.defineProperty(parse, 'name', { value: name });
  return parse;
}

export async function createApp(
  deps: AppDeps,
  factories: readonly FamilyHandlersFactory[] = familyHandlerFactories,
  options: AppOptions = {},
): Promise<express.Express> {
  const spec = await loadSpec(options.specPath);
  const { operations } = spec;
  const handlers = collectHandlers(deps, factories, operations);
  const { server } = deps.config;

  const app = express();
  app.disable('x-powered-by');
  (app.locals as { refusal?: RenderRefusal }).refusal = createRefusalRenderer(operations);
  // Health answers change with every probe and uptime tick, and authenticated ones must not be
  // revalidated from a cache at all: no ETag, so no 304 (Cache-Control says the rest).
  app.set('etag', false);
  app.set('trust proxy', server.trustProxy);

  app.use((options.requestLog ?? requestLogFor(deps, spec.document)).middleware);
  app.use(answerHeadAsGet());
  app.use(createMatchMiddleware(createOperationMatcher(operations)));
  app.use(createDocsRouter(spec));
  app.use(setCacheControl());
  app.use(refuseBracketedQueryKeys());
  // Bodies are parsed only for operations that document one (000's POST, login): a GET with a
  // body is answered as the GET, never with a body parser's 400/413/415 before authentication.
  app.use(onlyWithDocumentedBody(express.json({ limit: server.bodyLimitBytes }), 'jsonParser'));
  // The login operation also takes an HTML form body.
  app.use(onlyWithDocumentedBody(express.urlencoded({ extended: false, limit: server.bodyLimitBytes }), 'urlencodedParser'));
  app.use(cookieParser());
  app.use(
    createAuthMiddleware({
      identity: deps.identity,
      retryAfterSeconds: Math.max(1, Math.ceil(deps.config.auth.throttle.windowMs / 1000)),
    }),
  );
  app.use(validatorMiddleware(spec));

  // res.locals.operation(Id) is set by the match middleware, first thing in the app.
  for (const op of operations) app[op.method](op.expressPath, handlers[op.operationId] as RequestHandler);

  app.use((_req, _res, next) => next(httpProblem(problemFor(404, 'No such endpoint'))));
  app.use(
    createErrorHandler({
      operations,
      logger: deps.logger,
      secrets: configSecrets(deps.config),
      bodyLimitBytes: server.bodyLimitBytes,
    }),
  );
  return app;
}

/** The request log; the public probes' successful answers at debug unless log.probe_requests. */
function requestLogFor(deps: AppDeps, document: Parameters<typeof documentedQueryParameters>[0]): RequestLog {
  return createRequestLog({
    logger: deps.logger,
    loggableQueryParameters: documentedQueryParameters(document),
    quietOperations: deps.config.log.probeRequests ? new Set() : new Set(PUBLIC_PROBE_OPERATIONS),
  });
}

export interface RequestListenerOptions extends AppOptions {
  /** Answer plain public probe requests before Express (default true; tests compare both). */
  readonly fastPath?: boolean;
}

export interface VigilListener {
  /** What node:http's createServer takes: the fast path, then the Express app. */
  readonly listener: RequestListener;
  readonly app: express.Express;
  /** Absent when turned off. */
  readonly fastPath?: FastPath;
}

/** The app behind the fast path (src/http/fast-path.ts), sharing one request log. */
export async function createRequestListener(
  deps: AppDeps,
  factories: readonly FamilyHandlersFactory[] = familyHandlerFactories,
  options: RequestListenerOptions = {},
): Promise<VigilListener> {
  const spec = await loadSpec(options.specPath);
  const requestLog = options.requestLog ?? requestLogFor(deps, spec.document);
  const app = await createApp(deps, factories, { ...options, requestLog });
  if (options.fastPath === false) return { app, listener: app };
  const validator = await createSpecValidator(options.specPath);
  const reported = new Set<string>();
  const fastPath = createFastPath({
    answers: createSnapshotAnswers(deps),
    operations: spec.operations,
    validator,
    requestLog,
    identity: deps.identity,
    onInvalid(operationId, errors) {
      if (reported.has(operationId)) return;
      reported.add(operationId);
      deps.logger.error({ operationId, validationErrors: errors }, 'an answer does not match the API contract; the full stack answers it');
    },
  });
  return { app, fastPath, listener: withFastPath(fastPath, app) };
}

// What the 000 tests share: the document's answer for a healthy world, and the
// `families.system` section that maps each component to a source of its kind.

/** `Checks` of the document's 200 example: every check OK. */
export const ALL_CHECKS_OK = {
  MySQL: 'OK',
  Elasticsearch: 'OK',
  RabbitMQ: 'OK',
  Redis: 'OK',
  Session: 'OK',
  SystemContainer: 'OK',
  AdminFrontend: 'OK',
  UserFrontend: 'OK',
} as const;

/** Every component of `families.system`, each mapped to the test source of that name. */
export const SYSTEM_FAMILY = {
  mysql: 'mariadb',
  elasticsearch: 'search',
  rabbitmq: 'broker',
  redis: 'cache',
  system_container: 'api-container',
  admin_frontend: 'admin-ui',
  user_frontend: 'user-ui',
} as const;

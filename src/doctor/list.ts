// Every diagnosis the doctor runs; the order here is only for display, findings are sorted by rank.
import { autoVacuum, backgroundUpdates } from './sqlite-port.js';
import { composeOwnership } from './compose/ownership.js';
import { configUnreadable } from './config-unreadable.js';
import { databaseLocale } from './locale.js';
import { databaseMissing } from './database-missing.js';
import { diskSpace } from './disk-space.js';
import { dockerNetwork } from './docker-network.js';
import { initialisedTarget } from './initialised-target.js';
import { keepalives } from './keepalives.js';
import { listenAddress } from './listen-address.js';
import { logConfigMissing } from './compose/log-config.js';
import { oidcCaTrust } from './compose/oidc-ca.js';
import { peerSocket } from './peer-socket.js';
import { pgHbaAuth } from './pg-hba-auth.js';
import { pgVersion } from './pg-version.js';
import { psycopg2 } from './psycopg2.js';
import { publicSchema } from './public-schema.js';
import { remoteConnection } from './remote-connection.js';
import { roleMissing, rolePassword } from './role.js';
import { schemaVersion } from './schema-version.js';
import { serverName } from './server-name.js';
import { sqliteIntegrity } from './sqlite-integrity.js';
import { sqliteReadonly } from './sqlite-readonly.js';
import { sqliteUtf8 } from './sqlite-utf8.js';
import { streamPositions } from './stream-positions.js';
import { TEXT_ONLY } from './text-only.js';
import { tlsCertificate } from './tls.js';
import { tuning } from './tuning.js';
import type { Diagnosis } from './types.js';
import { LOGIN_STATE } from './login-state.js';
import { maxConnections, pgDown, sslMismatch } from './server-state.js';
import { engineName } from './engine-name.js';
import { sequenceBehind } from './sequences.js';
import { synapseHealth } from './synapse-health.js';

export const DIAGNOSES: Diagnosis[] = [
  configUnreadable,
  pgDown,
  synapseHealth,
  engineName,
  sslMismatch,
  ...LOGIN_STATE,
  maxConnections,
  pgVersion,
  psycopg2,
  tlsCertificate,
  listenAddress,
  remoteConnection,
  dockerNetwork,
  roleMissing,
  rolePassword,
  databaseMissing,
  pgHbaAuth,
  peerSocket,
  databaseLocale,
  publicSchema,
  initialisedTarget,
  streamPositions,
  sequenceBehind,
  serverName,
  schemaVersion,
  backgroundUpdates,
  autoVacuum,
  sqliteIntegrity,
  sqliteReadonly,
  sqliteUtf8,
  diskSpace,
  keepalives,
  tuning,
  composeOwnership,
  logConfigMissing,
  oidcCaTrust,
  ...TEXT_ONLY,
];

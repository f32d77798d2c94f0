/**
 * Fresh MariaDB/MySQL databases for tests, on `XCAPD_TEST_MYSQL_URL` (by default
 * `mysql://root@127.0.0.1:3306/test`, root with an empty password).
 */
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';

export const MYSQL_ADMIN_URL = process.env.XCAPD_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

export interface TestMysqlDatabase {
  readonly name: string;
  readonly url: string;
  drop(): Promise<void>;
}

export async function withMysqlAdmin<T>(run: (connection: mysql.Connection) => Promise<T>): Promise<T> {
  let connection: mysql.Connection;
  try {
    connection = await mysql.createConnection({ uri: MYSQL_ADMIN_URL, connectTimeout: 5000 });
  } catch (error) {
    throw new Error(
      `These tests need MariaDB or MySQL at ${MYSQL_ADMIN_URL} (set XCAPD_TEST_MYSQL_URL to use another server): ${(error as Error).message}`,
      { cause: error },
    );
  }
  try {
    return await run(connection);
  } finally {
    await connection.end();
  }
}

export async function createTestMysqlDatabase(label = 'db'): Promise<TestMysqlDatabase> {
  const name = `xcapd_test_${label.replace(/[^a-z0-9_]/gi, '_').toLowerCase().slice(0, 20)}_${randomBytes(5).toString('hex')}`;
  await withMysqlAdmin((connection) => connection.query(`CREATE DATABASE \`${name}\``));
  const url = new URL(MYSQL_ADMIN_URL);
  url.pathname = `/${name}`;
  let dropped: Promise<void> | null = null;
  return {
    name,
    url: url.toString(),
    drop() {
      dropped ??= withMysqlAdmin(async (connection) => {
        await connection.query(`DROP DATABASE IF EXISTS \`${name}\``);
      });
      return dropped;
    },
  };
}

/** Asking for a password on the terminal without echoing it. Only ever called when stdin is a TTY. */
import { stdin, stderr } from 'node:process';

export function promptPassword(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const input = stdin;
    let answer = '';
    const wasRaw = input.isRaw;
    // Raw mode first: what is typed while the prompt is being written must not echo.
    input.setRawMode?.(true);
    stderr.write(question);
    input.resume();
    input.setEncoding('utf8');
    const done = (error?: Error) => {
      input.off('data', onData);
      input.setRawMode?.(wasRaw);
      input.pause();
      stderr.write('\n');
      if (error) reject(error);
      else resolve(answer);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return done();
        if (ch === '\u0003') return done(new Error('interrupted'));
        if (ch === '\u007f' || ch === '\b') answer = answer.slice(0, -1);
        else answer += ch;
      }
    };
    input.on('data', onData);
  });
}

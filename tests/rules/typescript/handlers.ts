// TypeScript: the JavaScript rules apply unchanged.
import { exec } from 'child_process';

interface Request { query: Record<string, string>; body: any }

export async function run(req: Request): Promise<void> {
  exec('convert ' + req.query.file + ' out.png'); // expect: LS102
  const q: string = `UPDATE users SET name = '${req.body.name}' WHERE id = 1`;
  await db.execute(q); // expect: LS103
  if (req.query.mode == 'fast') { // expect: LB211
    return;
  }
}

const GITHUB_TOKEN: string = 'ghp_Zx8Kq2Lm4Np6Rt8Vw0Yb2Dc4Fg6Hj8Kl0Mn2Pq'; // expect: LS104
const PASSWORD_KEY: string = 'password';

// Buyers' sign-in tokens, minted the way a shop's identity provider would: JWT HS256 with
// `sub` (the user id) and `exp`, signed with the server's FLASHSALE_JWT_SECRET.
import { createHmac } from 'node:crypto';

const base64url = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');

export function mintJwt(user, secret, ttlS = 3_600) {
    const header = base64url({ alg: 'HS256', typ: 'JWT' });
    const payload = base64url({ sub: user, exp: Math.floor(Date.now() / 1000) + ttlS });
    const signature = createHmac('sha256', secret).update(`${header}.${payload}`)
        .digest('base64url');
    return `${header}.${payload}.${signature}`;
}

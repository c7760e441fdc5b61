/**
 * A refresh's exchange, one D1 batch (see `refresh`): `issue` binds (successor id, successor hash,
 * its expiry, presented hash, now); `claim` binds (presented hash, now). In a module of its own for
 * the bench's REST floor, which runs the same statements without the framework
 * (bench/floor/rest-calls.js).
 */
export const EXCHANGE = {
  issue: `INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, expires_at)
    SELECT ?1, user_id, family_id, ?2, ?3 FROM refresh_tokens
    WHERE token_hash = ?4 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?5`,
  claim: `UPDATE refresh_tokens SET used_at = CASE WHEN changes() = 1 THEN ?2 ELSE used_at END
    WHERE token_hash = ?1
    RETURNING family_id, used_at, revoked_at,
      (SELECT json_object('id', id, 'email', email, 'name', name, 'role', role, 'disabled_at', disabled_at)
       FROM users WHERE users.id = refresh_tokens.user_id) AS user`,
}

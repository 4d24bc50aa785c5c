-- A session is one sign-in: the refresh-token family it starts and every access token issued
-- in it (their `sid` claim). Ending it (logout, password change or reset, deactivation) makes
-- those access tokens fail at once, not when they expire. Deactivating and reactivating a
-- user does not bring an ended session back.
CREATE TABLE sessions (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    ended_at TIMESTAMP
);
CREATE INDEX sessions_user ON sessions (user_id);
-- The sign-ins made before: one session per refresh-token family, ended when all of its
-- tokens were revoked. (Access tokens issued before carry no session and must be renewed.)
INSERT INTO sessions (id, user_id, created_at, ended_at)
    SELECT family_id, MIN(user_id), MIN(created_at),
           CASE WHEN COUNT(revoked_at) = COUNT(*) THEN MAX(revoked_at) END
    FROM refresh_tokens
    GROUP BY family_id;

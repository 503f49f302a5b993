-- Ingest engine, ijson on the main path: the batch is staged as text (Python validated and
-- classified every line) and parsed as jsonb once, where it is written. When that set-based
-- merge fails on a value, this per-line diagnosis finds the guilty lines: text Postgres cannot
-- take as jsonb (e.g. \u0000, which ijson accepts), or a value that cannot be cast.

CREATE FUNCTION ingest_line_problem(doc text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    parsed jsonb;
BEGIN
    BEGIN
        parsed := doc::jsonb;
    EXCEPTION WHEN others THEN
        RETURN 'invalid JSON for Postgres: ' || SQLERRM;
    END;
    RETURN ingest_cast_problem(parsed);
END
$$;

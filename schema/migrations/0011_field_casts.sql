-- The cast diagnosis no longer repeats the order and line item fields: the caller passes the
-- dotted JSON paths and Postgres types to try, rendered from the one field list
-- (bulk/order_fields.py), so a new field needs no new version of these functions.

DROP FUNCTION ingest_line_problem(text);
DROP FUNCTION ingest_cast_problem(jsonb);

-- NULL when the value at every path casts to its type, else the reason ('field <path>: <error>').
-- Used only after a set-based merge failed on a value, to find the guilty lines, so one dynamic
-- cast per value is cheap enough; the type goes through regtype, so only a type name gets in.
CREATE FUNCTION ingest_cast_problem(doc jsonb, paths text[], types text[]) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    value text;
BEGIN
    FOR i IN 1 .. coalesce(array_length(paths, 1), 0) LOOP
        value := doc #>> string_to_array(paths[i], '.');
        CONTINUE WHEN value IS NULL;
        BEGIN
            EXECUTE format('SELECT $1::%s', types[i]::regtype) USING value;
        EXCEPTION WHEN others THEN
            RETURN format('field %s: %s', paths[i], SQLERRM);
        END;
    END LOOP;
    RETURN NULL;
END
$$;

-- Ids longer than this cannot be Shopify's and would not fit a btree index entry (~2.7 kB).
CREATE FUNCTION ingest_line_problem(doc text, paths text[], types text[]) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    parsed jsonb;
BEGIN
    BEGIN
        parsed := doc::jsonb;
    EXCEPTION WHEN others THEN
        RETURN 'invalid JSON for Postgres: ' || SQLERRM;
    END;
    IF octet_length(parsed ->> 'id') > 1024 OR octet_length(parsed ->> '__parentId') > 1024 THEN
        RETURN 'id too long: over 1024 bytes';
    END IF;
    RETURN ingest_cast_problem(parsed, paths, types);
END
$$;

-- Ingest engine support: where a parked line item sits in the result file (so an orphan's dead
-- letter can say), and a per-row diagnosis of values that cannot be cast to their column type
-- (used only when a set-based merge failed on a cast, to find the guilty lines).

ALTER TABLE pending_line_items ADD COLUMN byte_offset bigint;

-- Returns NULL when every typed column of the line casts, else the reason. Mirrors the casts of
-- the merge queries in bulk/sql/ingest.sql.
CREATE FUNCTION ingest_cast_problem(doc jsonb) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    field text;
BEGIN
    IF starts_with(doc ->> 'id', 'gid://shopify/Order/') THEN
        FOREACH field IN ARRAY ARRAY['createdAt', 'updatedAt', 'processedAt', 'cancelledAt', 'closedAt'] LOOP
            BEGIN
                PERFORM (doc ->> field)::timestamptz;
            EXCEPTION WHEN others THEN
                RETURN format('field %s: %s', field, SQLERRM);
            END;
        END LOOP;
        FOREACH field IN ARRAY ARRAY['closed', 'test'] LOOP
            BEGIN
                PERFORM (doc ->> field)::boolean;
            EXCEPTION WHEN others THEN
                RETURN format('field %s: %s', field, SQLERRM);
            END;
        END LOOP;
        FOREACH field IN ARRAY ARRAY['totalPriceSet', 'subtotalPriceSet', 'totalTaxSet', 'totalDiscountsSet'] LOOP
            BEGIN
                PERFORM (doc -> field -> 'shopMoney' ->> 'amount')::numeric;
            EXCEPTION WHEN others THEN
                RETURN format('field %s: %s', field, SQLERRM);
            END;
        END LOOP;
        BEGIN
            PERFORM (doc ->> 'legacyResourceId')::bigint;
        EXCEPTION WHEN others THEN
            RETURN format('field legacyResourceId: %s', SQLERRM);
        END;
    ELSIF starts_with(doc ->> 'id', 'gid://shopify/LineItem/') THEN
        FOREACH field IN ARRAY ARRAY['quantity', 'currentQuantity'] LOOP
            BEGIN
                PERFORM (doc ->> field)::integer;
            EXCEPTION WHEN others THEN
                RETURN format('field %s: %s', field, SQLERRM);
            END;
        END LOOP;
        FOREACH field IN ARRAY ARRAY['originalUnitPriceSet', 'discountedTotalSet'] LOOP
            BEGIN
                PERFORM (doc -> field -> 'shopMoney' ->> 'amount')::numeric;
            EXCEPTION WHEN others THEN
                RETURN format('field %s: %s', field, SQLERRM);
            END;
        END LOOP;
    END IF;
    RETURN NULL;
END
$$;

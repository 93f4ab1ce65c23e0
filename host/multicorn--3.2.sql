-- The objects multicorn2 creates, so that users' SQL is the same on both:
--   CREATE EXTENSION multicorn;
--   CREATE SERVER s FOREIGN DATA WRAPPER multicorn OPTIONS (wrapper 'package.module.Class');
\echo Use "CREATE EXTENSION multicorn" to load this file. \quit

CREATE FUNCTION multicorn_handler() RETURNS fdw_handler
AS 'MODULE_PATHNAME' LANGUAGE C STRICT;

CREATE FUNCTION multicorn_validator(text[], oid) RETURNS void
AS 'MODULE_PATHNAME' LANGUAGE C STRICT;

CREATE FOREIGN DATA WRAPPER multicorn
  HANDLER multicorn_handler
  VALIDATOR multicorn_validator;

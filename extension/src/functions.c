/*
 * The SQL functions of the function API (pgmemcache 2.3's names, arguments and results, plus memcache_touch and
 * memcache_get_bytea): each converts its arguments, asks default_table.c for the default table's object of
 * pymcache_fdw.functions and calls one of its methods, with no SQL planned. Arguments are checked before any Python
 * object is made; Python's result is copied into palloc'd memory and released before anything that could raise.
 *
 * Keys are text (or bytea holding UTF-8, as pgmemcache also takes); values text (sent as UTF-8) or bytea (sent as
 * the bytes); an expiration an interval (seconds from now, as EXTRACT(EPOCH FROM interval), rounded up) or a
 * timestamptz (memcached's absolute unix time); a NULL expiration means the table's expire option. A NULL key or
 * value is an ERROR: memcached has no NULL (pgmemcache's functions are STRICT and return NULL instead).
 */
#include "pymcache_fdw.h"

#include "catalog/pg_type.h"
#include "datatype/timestamp.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include <math.h>

PG_FUNCTION_INFO_V1(pymcache_fdw_get);
PG_FUNCTION_INFO_V1(pymcache_fdw_get_bytea);
PG_FUNCTION_INFO_V1(pymcache_fdw_get_multi);
PG_FUNCTION_INFO_V1(pymcache_fdw_set);
PG_FUNCTION_INFO_V1(pymcache_fdw_add);
PG_FUNCTION_INFO_V1(pymcache_fdw_replace);
PG_FUNCTION_INFO_V1(pymcache_fdw_append);
PG_FUNCTION_INFO_V1(pymcache_fdw_prepend);
PG_FUNCTION_INFO_V1(pymcache_fdw_delete);
PG_FUNCTION_INFO_V1(pymcache_fdw_touch);
PG_FUNCTION_INFO_V1(pymcache_fdw_incr);
PG_FUNCTION_INFO_V1(pymcache_fdw_decr);
PG_FUNCTION_INFO_V1(pymcache_fdw_flush_all);
PG_FUNCTION_INFO_V1(pymcache_fdw_stats);
PG_FUNCTION_INFO_V1(pymcache_fdw_server_add);

/* Expirations beyond this many seconds are all refused alike by the wrapper (its maximum is 2147483647). */
#define EXPIRE_CLAMP 10000000000.0

/* The type of argument `n` as the call site declared it (text when it cannot tell). */
static Oid
argument_type(FunctionCallInfo fcinfo, int n)
{
	Oid type = get_fn_expr_argtype(fcinfo->flinfo, n);

	return OidIsValid(type) ? type : TEXTOID;
}

static void
refuse_null_key(const char *function)
{
	ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("%s: the key must not be NULL", function),
					errhint("memcached has no NULL key: give every call a key.")));
}

/* Refuses a NULL key (argument 0) and a NULL value (argument `value_argument`, -1 for none). */
static void
check_arguments(FunctionCallInfo fcinfo, const char *function, int value_argument)
{
	if (PG_ARGISNULL(0))
		refuse_null_key(function);
	if (value_argument >= 0 && PG_ARGISNULL(value_argument))
	{
		text *key = PG_GETARG_TEXT_PP(0);

		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						errmsg("%s: the value of key \"%s\" must not be NULL", function, text_to_cstring(key)),
						errhint("memcached cannot store NULL: memcache_delete the key to remove it.")));
	}
}

/* Refuses a bytea key that is not UTF-8 (before any Python object is made). */
static void
check_key(Datum datum, Oid type, const char *function)
{
	struct varlena *value;

	if (type != BYTEAOID)
		return;
	value = PG_DETOAST_DATUM_PACKED(datum);
	if (!pg_verify_mbstr(PG_UTF8, VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value), true))
		ereport(ERROR,
				(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE), errmsg("%s: a bytea key must hold UTF-8 text", function),
				 errhint("memcached keys are text here, as in the cache tables: pass the key as text.")));
}

/* The key of a text or bytea argument (checked by check_key) as a Python str; NULL with an exception set. */
static PyObject *
key_to_python(Datum datum, Oid type)
{
	struct varlena *value = PG_DETOAST_DATUM_PACKED(datum);

	if (type == BYTEAOID)
		return PyUnicode_FromStringAndSize(VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value));
	return pymc_text_to_python(VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value));
}

/* A text value's UTF-8 bytes, a bytea value's bytes (converted before any Python object is made). */
static struct varlena *
value_bytes(Datum datum, Oid type)
{
	struct varlena *value = PG_DETOAST_DATUM_PACKED(datum);
	const char	   *data = VARDATA_ANY(value);
	int				length = VARSIZE_ANY_EXHDR(value);
	const char	   *utf8;

	if (type == BYTEAOID || GetDatabaseEncoding() == PG_UTF8)
		return value;
	utf8 = (const char *) pg_do_encoding_conversion((unsigned char *) data, length, GetDatabaseEncoding(), PG_UTF8);
	return (struct varlena *) cstring_to_text(utf8);
}

/* The bytes of value_bytes as a Python bytes object; NULL with an exception set. */
static PyObject *
bytes_to_python(struct varlena *value)
{
	return PyBytes_FromStringAndSize(VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value));
}

/* Releases `count` objects (NULLs skipped) and reports the pending Python exception when any of them is NULL. */
static void
check_made(PyObject **objects, int count)
{
	int i;

	for (i = 0; i < count; i++)
	{
		if (objects[i] == NULL)
			break;
	}
	if (i == count)
		return;
	for (i = 0; i < count; i++)
		Py_XDECREF(objects[i]);
	pymc_report_python_error(ERROR);
}

/* Seconds of an interval as EXTRACT(EPOCH FROM interval) counts them (a year 365.25 days, a month 30). */
static double
interval_epoch(Interval *span)
{
	double seconds = span->time / (double) USECS_PER_SEC;

	seconds += ((double) DAYS_PER_YEAR * SECS_PER_DAY) * (span->month / MONTHS_PER_YEAR);
	seconds += ((double) DAYS_PER_MONTH * SECS_PER_DAY) * (span->month % MONTHS_PER_YEAR);
	seconds += ((double) SECS_PER_DAY) * span->day;
	return seconds;
}

/* The whole seconds of a non-negative interval, rounded up; `what` names it in the ERROR. */
double
pymc_interval_seconds(Datum datum, const char *what)
{
	double seconds = interval_epoch(DatumGetIntervalP(datum));

	if (seconds < 0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("%s is a negative interval", what),
						errhint("An expiration counts from now: give a positive interval, or '0' for an item that "
								"never expires.")));
	seconds = ceil(seconds);
	return seconds > EXPIRE_CLAMP ? EXPIRE_CLAMP : seconds;
}

/* A timestamptz as memcached's absolute unix time (whole seconds, rounded up). */
static double
timestamp_seconds(Datum datum, const char *what)
{
	TimestampTz at = DatumGetTimestampTz(datum);
	double		seconds;

	if (TIMESTAMP_NOT_FINITE(at))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("%s is infinite", what),
						errhint("Give a finite timestamp, or no expiration.")));
	seconds = ceil((double) at / USECS_PER_SEC + (double) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY);
	if (seconds > EXPIRE_CLAMP)
		return EXPIRE_CLAMP;
	return seconds < -EXPIRE_CLAMP ? -EXPIRE_CLAMP : seconds;
}

/*
 * The expiration in argument `n`, checked (no Python object yet): absent for NULL or no argument (the table's
 * expire option), else seconds from now (interval) or a unix time (timestamptz, `absolute`).
 */
static PymcExpire
expire_argument(FunctionCallInfo fcinfo, int n, const char *function)
{
	PymcExpire expire = {false, false, 0};
	char	  *what;

	if (PG_NARGS() <= n || PG_ARGISNULL(n))
		return expire;
	what = psprintf("%s: the expiration of key \"%s\"", function, text_to_cstring(PG_GETARG_TEXT_PP(0)));
	expire.present = true;
	if (argument_type(fcinfo, n) == TIMESTAMPTZOID)
	{
		expire.absolute = true;
		expire.seconds = timestamp_seconds(PG_GETARG_DATUM(n), what);
	}
	else
		expire.seconds = pymc_interval_seconds(PG_GETARG_DATUM(n), what);
	return expire;
}

/* The expiration as Python sees it: None (the table's expire option) or whole seconds; NULL with an exception set. */
PyObject *
pymc_expire_to_python(PymcExpire expire)
{
	if (!expire.present)
		Py_RETURN_NONE;
	return PyLong_FromDouble(expire.seconds);
}

/*
 * Calls `method` of `table` with `args` (references stolen) followed by the transaction's level, whether it is
 * SERIALIZABLE and the transaction's generation; the result (a new reference), or an ERROR once every reference is
 * released. `writes`: the method may write (the transaction's events are then forwarded to the write set).
 */
static PyObject *
invoke(PyObject *table, const char *method, PyObject **args, int nargs, bool writes)
{
	PyObject *stack[9];
	PyObject *result;
	int		  i;

	Assert(nargs <= 5);
	stack[0] = table;
	for (i = 0; i < nargs; i++)
		stack[i + 1] = args[i];
	pymc_note_function_use(writes);
	stack[nargs + 1] = PyLong_FromLong(pymc_transaction_level());
	stack[nargs + 2] = PyLong_FromLong(pymc_serializable());
	stack[nargs + 3] = PyLong_FromUnsignedLong(pymc_transaction_generation());
	if (stack[nargs + 1] == NULL || stack[nargs + 2] == NULL || stack[nargs + 3] == NULL)
		result = NULL;
	else
		result =
			PyObject_VectorcallMethod(pymc_name(method), stack, (nargs + 4) | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
	for (i = 1; i < nargs + 4; i++)
		Py_XDECREF(stack[i]);
	if (result == NULL)
		pymc_report_python_error(ERROR);
	return result;
}

/* A Python bool result; releases it. */
static bool
truth(PyObject *result)
{
	int value = PyObject_IsTrue(result);

	Py_DECREF(result);
	if (value < 0)
		pymc_report_python_error(ERROR);
	return value == 1;
}

/* A Python str result (or None: NULL) as text in the server encoding; releases it. */
static text *
text_result(PyObject *result, const char *function)
{
	char *utf8;

	if (result == Py_None)
	{
		Py_DECREF(result);
		return NULL;
	}
	utf8 = pymc_python_to_utf8(result, function);
	Py_DECREF(result);
	if (utf8 == NULL)
		pymc_report_python_error(ERROR);
	return cstring_to_text(pg_any_to_server(utf8, strlen(utf8), PG_UTF8));
}

/* memcache_get(key text|bytea) RETURNS text: the value as text, NULL for a miss. */
Datum
pymcache_fdw_get(PG_FUNCTION_ARGS)
{
	PyObject *args[1];
	PyObject *table;
	text	 *value;

	check_arguments(fcinfo, "memcache_get", -1);
	check_key(PG_GETARG_DATUM(0), argument_type(fcinfo, 0), "memcache_get");
	table = pymc_default_table(PYMC_READ);
	args[0] = key_to_python(PG_GETARG_DATUM(0), argument_type(fcinfo, 0));
	check_made(args, 1);
	value = text_result(invoke(table, "get_text", args, 1, false), "memcache_get");
	if (value == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(value);
}

/* memcache_get_bytea(key text) RETURNS bytea: the value's bytes as stored, NULL for a miss. */
Datum
pymcache_fdw_get_bytea(PG_FUNCTION_ARGS)
{
	PyObject  *args[1];
	PyObject  *table;
	PyObject  *result;
	char	  *data;
	Py_ssize_t length;
	bytea	  *value;

	check_arguments(fcinfo, "memcache_get_bytea", -1);
	check_key(PG_GETARG_DATUM(0), argument_type(fcinfo, 0), "memcache_get_bytea");
	table = pymc_default_table(PYMC_READ);
	args[0] = key_to_python(PG_GETARG_DATUM(0), argument_type(fcinfo, 0));
	check_made(args, 1);
	result = invoke(table, "get", args, 1, false);
	if (result == Py_None)
	{
		Py_DECREF(result);
		PG_RETURN_NULL();
	}
	if (PyBytes_AsStringAndSize(result, &data, &length) < 0)
	{
		Py_DECREF(result);
		pymc_report_python_error(ERROR);
	}
	value = (bytea *) palloc(VARHDRSZ + length);
	SET_VARSIZE(value, VARHDRSZ + length);
	memcpy(VARDATA(value), data, length);
	Py_DECREF(result);
	PG_RETURN_BYTEA_P(value);
}

/*
 * memcache_get_multi(keys text[]|bytea[], OUT key text, OUT value text) RETURNS SETOF record: a row per key that
 * holds a value, in the order given.
 */
Datum
pymcache_fdw_get_multi(PG_FUNCTION_ARGS)
{
	ArrayType	  *keys;
	Oid			   element_type;
	Datum		  *elements;
	bool		  *nulls;
	int			   count;
	int			   i;
	PyObject	  *table;
	PyObject	  *args[2];
	PyObject	  *result;
	char		 **found_keys;
	char		 **found_values;
	Py_ssize_t	   found;
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						errmsg("memcache_get_multi: the keys must not be NULL"), errhint("Give an array of keys.")));
	keys = PG_GETARG_ARRAYTYPE_P(0);
	element_type = ARR_ELEMTYPE(keys);
	deconstruct_array(keys, element_type, -1, false, TYPALIGN_INT, &elements, &nulls, &count);
	for (i = 0; i < count; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("memcache_get_multi: key %d of the array is NULL", i + 1),
					 errhint("memcached has no NULL key: leave NULLs out of the array (array_remove(keys, NULL)).")));
		check_key(elements[i], element_type, "memcache_get_multi");
	}
	table = pymc_default_table(PYMC_READ);
	args[0] = PyList_New(count);
	args[1] = Py_NewRef(Py_True);
	check_made(args, 2);
	for (i = 0; i < count; i++)
	{
		PyObject *key = key_to_python(elements[i], element_type);

		if (key == NULL)
		{
			Py_DECREF(args[0]);
			Py_DECREF(args[1]);
			pymc_report_python_error(ERROR);
		}
		PyList_SET_ITEM(args[0], i, key);
	}
	result = invoke(table, "get_multi", args, 2, false);

	/* Every row is copied out of Python before the result set is built. */
	found = PyList_Check(result) ? PyList_GET_SIZE(result) : -1;
	found_keys = palloc(sizeof(char *) * Max(found, 1));
	found_values = palloc(sizeof(char *) * Max(found, 1));
	for (i = 0; i < found; i++)
	{
		PyObject *row = PyList_GET_ITEM(result, i);

		if (!PyTuple_Check(row) || PyTuple_GET_SIZE(row) != 2 ||
			(found_keys[i] = pymc_python_to_utf8(PyTuple_GET_ITEM(row, 0), "memcache_get_multi")) == NULL ||
			(found_values[i] = pymc_python_to_utf8(PyTuple_GET_ITEM(row, 1), "memcache_get_multi")) == NULL)
		{
			if (!PyErr_Occurred())
				PyErr_SetString(PyExc_TypeError, "get_multi must return (key, value) tuples");
			Py_DECREF(result);
			pymc_report_python_error(ERROR);
		}
	}
	if (found < 0)
		PyErr_SetString(PyExc_TypeError, "get_multi must return a list");
	Py_DECREF(result);
	if (found < 0)
		pymc_report_python_error(ERROR);

	InitMaterializedSRF(fcinfo, 0);
	for (i = 0; i < found; i++)
	{
		Datum values[2];
		bool  row_nulls[2] = {false, false};

		values[0] = PointerGetDatum(cstring_to_text(pg_any_to_server(found_keys[i], strlen(found_keys[i]), PG_UTF8)));
		values[1] =
			PointerGetDatum(cstring_to_text(pg_any_to_server(found_values[i], strlen(found_values[i]), PG_UTF8)));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, row_nulls);
	}
	return (Datum) 0;
}

/*
 * The wrapper's store(command, key, value, expire, absolute, ...): true when stored (or recorded for COMMIT). The
 * references to `key` and `value` are stolen.
 */
bool
pymc_store_call(PyObject *table, const char *command, PyObject *key, PyObject *value, PymcExpire expire)
{
	PyObject *args[5];

	args[0] = key;
	args[1] = value;
	args[2] = PyUnicode_FromString(command);
	args[3] = pymc_expire_to_python(expire);
	args[4] = PyBool_FromLong(expire.absolute);
	check_made(args, 5);
	/* store(command, key, value, expire, absolute) */
	{
		PyObject *ordered[5] = {args[2], args[0], args[1], args[3], args[4]};

		return truth(invoke(table, "store", ordered, 5, true));
	}
}

/* memcache_set/add/replace/append/prepend(key, value text|bytea[, expire interval|timestamptz]) RETURNS bool. */
static Datum
store(FunctionCallInfo fcinfo, const char *command, const char *function)
{
	PyObject	   *table;
	PymcExpire		expire;
	struct varlena *value;

	check_arguments(fcinfo, function, 1);
	check_key(PG_GETARG_DATUM(0), argument_type(fcinfo, 0), function);
	expire = expire_argument(fcinfo, 2, function);
	value = value_bytes(PG_GETARG_DATUM(1), argument_type(fcinfo, 1));
	table = pymc_default_table(PYMC_WRITE);
	PG_RETURN_BOOL(pymc_store_call(table, command, key_to_python(PG_GETARG_DATUM(0), argument_type(fcinfo, 0)),
								   bytes_to_python(value), expire));
}

Datum
pymcache_fdw_set(PG_FUNCTION_ARGS)
{
	return store(fcinfo, "set", "memcache_set");
}

Datum
pymcache_fdw_add(PG_FUNCTION_ARGS)
{
	return store(fcinfo, "add", "memcache_add");
}

Datum
pymcache_fdw_replace(PG_FUNCTION_ARGS)
{
	return store(fcinfo, "replace", "memcache_replace");
}

Datum
pymcache_fdw_append(PG_FUNCTION_ARGS)
{
	return store(fcinfo, "append", "memcache_append");
}

Datum
pymcache_fdw_prepend(PG_FUNCTION_ARGS)
{
	return store(fcinfo, "prepend", "memcache_prepend");
}

/* The wrapper's delete(key, hold, ...): true when the key existed as the transaction sees it; `key` is stolen. */
bool
pymc_delete_call(PyObject *table, PyObject *key, double hold_seconds)
{
	PyObject *args[2];

	args[0] = key;
	args[1] = PyLong_FromDouble(hold_seconds);
	check_made(args, 2);
	return truth(invoke(table, "delete", args, 2, true));
}

/* memcache_delete(key text[, hold interval]) RETURNS bool. */
Datum
pymcache_fdw_delete(PG_FUNCTION_ARGS)
{
	PyObject *table;
	double	  hold = 0;

	check_arguments(fcinfo, "memcache_delete", -1);
	check_key(PG_GETARG_DATUM(0), argument_type(fcinfo, 0), "memcache_delete");
	if (PG_NARGS() > 1 && !PG_ARGISNULL(1))
		hold = pymc_interval_seconds(PG_GETARG_DATUM(1), "memcache_delete: the hold time");
	table = pymc_default_table(PYMC_DELETE);
	PG_RETURN_BOOL(pymc_delete_call(table, key_to_python(PG_GETARG_DATUM(0), argument_type(fcinfo, 0)), hold));
}

/* memcache_touch(key text, expire interval|timestamptz) RETURNS bool: false when the key does not exist. */
Datum
pymcache_fdw_touch(PG_FUNCTION_ARGS)
{
	PyObject  *table;
	PyObject  *args[3];
	PymcExpire expire;

	check_arguments(fcinfo, "memcache_touch", -1);
	check_key(PG_GETARG_DATUM(0), argument_type(fcinfo, 0), "memcache_touch");
	if (PG_ARGISNULL(1))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						errmsg("memcache_touch: the expiration of key \"%s\" must not be NULL",
							   text_to_cstring(PG_GETARG_TEXT_PP(0))),
						errhint("Give the new expiration as an interval ('0' for never) or a timestamp.")));
	expire = expire_argument(fcinfo, 1, "memcache_touch");
	table = pymc_default_table(PYMC_WRITE);
	args[0] = key_to_python(PG_GETARG_DATUM(0), argument_type(fcinfo, 0));
	args[1] = pymc_expire_to_python(expire);
	args[2] = PyBool_FromLong(expire.absolute);
	check_made(args, 3);
	PG_RETURN_BOOL(truth(invoke(table, "touch", args, 3, true)));
}

/* memcache_incr/decr(key text[, delta bigint]) RETURNS bigint: the new value, NULL when the key does not exist. */
static Datum
count(FunctionCallInfo fcinfo, const char *kind, const char *function)
{
	PyObject *table;
	PyObject *args[3];
	text	 *result;

	check_arguments(fcinfo, function, -1);
	check_key(PG_GETARG_DATUM(0), argument_type(fcinfo, 0), function);
	if (PG_NARGS() > 1 && PG_ARGISNULL(1))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						errmsg("%s: the delta of key \"%s\" must not be NULL", function,
							   text_to_cstring(PG_GETARG_TEXT_PP(0))),
						errhint("Give the amount to count by, or leave it out to count by 1.")));
	table = pymc_default_table(PYMC_WRITE);
	args[0] = PyUnicode_FromString(kind);
	args[1] = key_to_python(PG_GETARG_DATUM(0), argument_type(fcinfo, 0));
	args[2] = PyLong_FromLongLong(PG_NARGS() > 1 ? PG_GETARG_INT64(1) : 1);
	check_made(args, 3);
	result = text_result(invoke(table, "counter", args, 3, true), function);
	if (result == NULL)
		PG_RETURN_NULL();
	PG_RETURN_INT64(strtoll(text_to_cstring(result), NULL, 10));
}

Datum
pymcache_fdw_incr(PG_FUNCTION_ARGS)
{
	return count(fcinfo, "incr", "memcache_incr");
}

Datum
pymcache_fdw_decr(PG_FUNCTION_ARGS)
{
	return count(fcinfo, "decr", "memcache_decr");
}

/* memcache_flush_all() RETURNS bool: every server of the default table flushed, at once. */
Datum
pymcache_fdw_flush_all(PG_FUNCTION_ARGS)
{
	PyObject *table = pymc_default_table(PYMC_DELETE);

	PG_RETURN_BOOL(truth(invoke(table, "flush_all", NULL, 0, true)));
}

/* memcache_stats() RETURNS text: every server's statistics, in pgmemcache's layout. */
Datum
pymcache_fdw_stats(PG_FUNCTION_ARGS)
{
	PyObject *table = pymc_default_table(PYMC_READ);
	text	 *result = text_result(invoke(table, "stats", NULL, 0, false), "memcache_stats");

	PG_RETURN_TEXT_P(result);
}

/* memcache_server_add(server text) RETURNS bool: true for a server the table lists, else an ERROR with the ALTER. */
Datum
pymcache_fdw_server_add(PG_FUNCTION_ARGS)
{
	PyObject *table;
	PyObject *spec;
	PyObject *result;
	text	 *server;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("memcache_server_add: the server must not be NULL"),
				 errhint("Give a server as host, host:port or host:port:weight.")));
	table = pymc_default_table(PYMC_READ);
	server = PG_GETARG_TEXT_PP(0);
	spec = pymc_text_to_python(VARDATA_ANY(server), VARSIZE_ANY_EXHDR(server));
	if (spec == NULL)
		pymc_report_python_error(ERROR);
	result = PyObject_CallMethodOneArg(table, pymc_name("server_add"), spec);
	Py_DECREF(spec);
	if (result == NULL)
		pymc_report_python_error(ERROR);
	PG_RETURN_BOOL(truth(result));
}

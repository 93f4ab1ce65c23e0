/*
 * Datum <-> Python conversion, with multicorn2 3.x's rules (src/python.c there):
 *
 * PostgreSQL -> Python: bytea -> bytes; text, varchar -> str; char(n) -> str without trailing blanks;
 * numeric -> float; date -> datetime.date; timestamp -> datetime.datetime (whole seconds, naive);
 * int4 -> int; arrays -> flat list of converted elements (NULL -> None); every other type -> str, the
 * type's output function (int2, int8, bool, float4/8, timestamptz, json, jsonb, uuid, ...).
 *
 * Python -> PostgreSQL: None -> NULL; the value is first written as text -- numbers (bool included) with
 * str(), str as is, bytes raw, sequences as an array literal '{a, "b"}' when the column is an array (else
 * str()), mappings as '"k"=>"v"' pairs, dates and datetimes with isoformat(), anything else with str() --
 * then bytea, text and varchar take that text as is (no input function, so no typmod check) and every
 * other type goes through its input function.
 */
#include "host.h"

#include <datetime.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

static bool datetime_ready = false;

static void
ensure_datetime_api(void)
{
	if (!datetime_ready)
	{
		PyDateTime_IMPORT;
		if (PyDateTimeAPI == NULL)
			host_raise_python_error();
		datetime_ready = true;
	}
}

HostColumn *
host_columns_for(TupleDesc desc)
{
	return host_column_names_for(desc, true);
}

/* Names and types only (`with_input` false): what planning needs, without the input function lookups. */
HostColumn *
host_column_names_for(TupleDesc desc, bool with_input)
{
	HostColumn *columns = palloc0(sizeof(HostColumn) * Max(desc->natts, 1));
	int			i;

	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		HostColumn		 *column = &columns[i];
		Oid				  infunc;

		column->dropped = att->attisdropped;
		if (column->dropped)
			continue;
		column->attname = pstrdup(NameStr(att->attname));
		column->typoid = att->atttypid;
		column->typmod = att->atttypmod;
		column->ndims = att->attndims;
		if (!with_input)
			continue;
		getTypeInputInfo(att->atttypid, &infunc, &column->ioparam);
		fmgr_info(infunc, &column->infunc);
	}
	return columns;
}

PyObject *
host_cstring_to_python(const char *text)
{
	char	 *utf8 = pg_server_to_any(text, strlen(text), PG_UTF8);
	PyObject *result = PyUnicode_DecodeUTF8(utf8, strlen(utf8), "strict");

	if (utf8 != text)
		pfree(utf8);
	return result;
}

static PyObject *
text_via_output_function(Datum value, Oid typoid)
{
	Oid		  outfunc;
	bool	  is_varlena;
	char	 *text;
	PyObject *result;

	getTypeOutputInfo(typoid, &outfunc, &is_varlena);
	text = OidOutputFunctionCall(outfunc, value);
	result = host_cstring_to_python(text);
	pfree(text);
	return result;
}

static PyObject *
array_to_python(Datum value, Oid element_type)
{
	ArrayType	 *array = DatumGetArrayTypeP(value);
	ArrayIterator iterator = array_create_iterator(array, 0, NULL);
	PyObject	 *result = PyList_New(0);
	Datum		  element;
	bool		  isnull;

	if (result == NULL)
		return NULL;
	while (array_iterate(iterator, &element, &isnull))
	{
		PyObject *item;

		if (isnull)
		{
			Py_INCREF(Py_None);
			item = Py_None;
		}
		else
			item = host_datum_to_python(element, element_type);
		if (item == NULL || PyList_Append(result, item) < 0)
		{
			Py_XDECREF(item);
			Py_DECREF(result);
			array_free_iterator(iterator);
			return NULL;
		}
		Py_DECREF(item);
	}
	array_free_iterator(iterator);
	return result;
}

/* A new reference, or NULL with a Python exception set. */
PyObject *
host_datum_to_python(Datum value, Oid typoid)
{
	switch (typoid)
	{
		case BYTEAOID:
		{
			bytea *data = DatumGetByteaPP(value);

			return PyBytes_FromStringAndSize(VARDATA_ANY(data), VARSIZE_ANY_EXHDR(data));
		}
		case TEXTOID:
		case VARCHAROID:
		{
			char	 *chars = TextDatumGetCString(value);
			PyObject *result = host_cstring_to_python(chars);

			pfree(chars);
			return result;
		}
		case BPCHAROID:
		{
			char	 *chars = TextDatumGetCString(value);
			int		  length = bpchartruelen(chars, strlen(chars));
			PyObject *result;

			chars[length] = '\0';
			result = host_cstring_to_python(chars);
			pfree(chars);
			return result;
		}
		case NUMERICOID:
		{
			char	 *text = DatumGetCString(DirectFunctionCall1(numeric_out, value));
			PyObject *as_str = PyUnicode_FromString(text);
			PyObject *result = as_str != NULL ? PyFloat_FromString(as_str) : NULL;

			Py_XDECREF(as_str);
			pfree(text);
			return result;
		}
		case DATEOID:
		{
			DateADT		 date = DatumGetDateADT(value);
			struct pg_tm tm;
			fsec_t		 fsec;

			/* (Python's datetime.h and PostgreSQL's utils/datetime.h share an include guard.) */
			if (DATE_NOT_FINITE(date) ||
				timestamp2tm((Timestamp) date * USECS_PER_DAY, NULL, &tm, &fsec, NULL, NULL) != 0)
				return text_via_output_function(value, typoid);
			ensure_datetime_api();
			return PyDate_FromDate(tm.tm_year, tm.tm_mon, tm.tm_mday);
		}
		case TIMESTAMPOID:
		{
			Timestamp	 timestamp = DatumGetTimestamp(value);
			struct pg_tm tm;
			fsec_t		 fsec;

			if (TIMESTAMP_NOT_FINITE(timestamp) || timestamp2tm(timestamp, NULL, &tm, &fsec, NULL, NULL) != 0)
				return text_via_output_function(value, typoid);
			ensure_datetime_api();
			/* multicorn2 drops the fractional seconds. */
			return PyDateTime_FromDateAndTime(tm.tm_year, tm.tm_mon, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, 0);
		}
		case INT4OID:
			return PyLong_FromLong(DatumGetInt32(value));
		default:
		{
			HeapTuple	 tuple = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typoid));
			Form_pg_type type;
			Oid			 element_type;
			int16		 typlen;

			if (!HeapTupleIsValid(tuple))
				elog(ERROR, "cache lookup failed for type %u", typoid);
			type = (Form_pg_type) GETSTRUCT(tuple);
			element_type = type->typelem;
			typlen = type->typlen;
			ReleaseSysCache(tuple);
			if (element_type != InvalidOid && typlen == -1)
				return array_to_python(value, element_type);
			return text_via_output_function(value, typoid);
		}
	}
}

/*
 * What multicorn2 3.2 hands explain() for a qual value it does not evaluate (a Param: python.c execute() with
 * an ExplainState): the conversion of a zero Datum of the value's type. For text, varchar and char that is
 * '?' (datumStringToPython's placeholder for a null pointer); for a by-value type the usual conversion of 0
 * (0 for int4, 2000-01-01 for date and timestamp, the output function of 0 otherwise: '0', 'f', ...). A
 * by-reference type (numeric, bytea, uuid, arrays, ...) crashes multicorn2's backend there; the host hands
 * None. A new reference, or NULL with a Python exception set.
 */
PyObject *
host_unevaluated_to_python(Oid typoid)
{
	if (typoid == TEXTOID || typoid == VARCHAROID || typoid == BPCHAROID)
		return PyUnicode_FromString("?");
	if (!get_typbyval(typoid))
		Py_RETURN_NONE;
	return host_datum_to_python((Datum) 0, typoid);
}

/* Appends `text` to `buffer`, as an array element string (double quotes, \ escapes) when `quote`. */
static void
append_maybe_quoted(StringInfo buffer, const char *text, Py_ssize_t length, bool quote)
{
	Py_ssize_t i;

	if (!quote)
	{
		appendBinaryStringInfo(buffer, text, length);
		return;
	}
	appendStringInfoChar(buffer, '"');
	for (i = 0; i < length; i++)
	{
		if (text[i] == '"' || text[i] == '\\')
			appendStringInfoChar(buffer, '\\');
		appendStringInfoChar(buffer, text[i]);
	}
	appendStringInfoChar(buffer, '"');
}

static bool
append_unicode(StringInfo buffer, PyObject *text, bool quote)
{
	Py_ssize_t	length;
	const char *utf8 = PyUnicode_AsUTF8AndSize(text, &length);
	char	   *server;

	if (utf8 == NULL)
		return false;
	server = pg_any_to_server(utf8, (int) length, PG_UTF8);
	append_maybe_quoted(buffer, server, server == utf8 ? length : (Py_ssize_t) strlen(server), quote);
	if (server != utf8)
		pfree(server);
	return true;
}

/* str(object) appended, quoted when asked. */
static bool
append_str_of(StringInfo buffer, PyObject *object, bool quote)
{
	PyObject *text = PyObject_Str(object);
	bool	  ok;

	if (text == NULL)
		return false;
	ok = append_unicode(buffer, text, quote);
	Py_DECREF(text);
	return ok;
}

static bool python_to_text(PyObject *object, StringInfo buffer, int ndims, bool quote);

static bool
sequence_to_text(PyObject *object, StringInfo buffer, int ndims, bool quote)
{
	Py_ssize_t size = PySequence_Size(object);
	Py_ssize_t i;

	if (size < 0)
		return false;
	if (ndims == 0)
		return append_str_of(buffer, object, quote);
	appendStringInfoChar(buffer, '{');
	for (i = 0; i < size; i++)
	{
		PyObject *item = PySequence_GetItem(object, i);
		bool	  ok;

		if (item == NULL)
			return false;
		ok = python_to_text(item, buffer, ndims - 1, true);
		Py_DECREF(item);
		if (!ok)
			return false;
		if (i != size - 1)
			appendBinaryStringInfo(buffer, ", ", 2);
	}
	appendStringInfoChar(buffer, '}');
	return true;
}

static bool
mapping_to_text(PyObject *object, StringInfo buffer, int ndims)
{
	PyObject  *items = PyMapping_Items(object);
	Py_ssize_t size;
	Py_ssize_t i;

	if (items == NULL)
		return false;
	size = PyList_Size(items);
	for (i = 0; i < size; i++)
	{
		PyObject *pair = PyList_GetItem(items, i); /* borrowed */

		if (!PyTuple_Check(pair) || PyTuple_Size(pair) != 2 ||
			!python_to_text(PyTuple_GetItem(pair, 0), buffer, ndims, true))
			goto fail;
		appendBinaryStringInfo(buffer, "=>", 2);
		if (!python_to_text(PyTuple_GetItem(pair, 1), buffer, ndims, true))
			goto fail;
		if (i != size - 1)
			appendBinaryStringInfo(buffer, ", ", 2);
	}
	Py_DECREF(items);
	return true;
fail:
	Py_DECREF(items);
	if (!PyErr_Occurred())
		PyErr_SetString(PyExc_TypeError, "mapping items must be (key, value) pairs");
	return false;
}

/* Writes the text form of a Python value (multicorn2's order of checks); false with a Python error set. */
static bool
python_to_text(PyObject *object, StringInfo buffer, int ndims, bool quote)
{
	if (object == NULL || object == Py_None)
		return true;
	if (PyNumber_Check(object))
		return append_str_of(buffer, object, false);
	if (PyUnicode_Check(object))
		return append_unicode(buffer, object, quote);
	if (PyBytes_Check(object))
	{
		append_maybe_quoted(buffer, PyBytes_AS_STRING(object), PyBytes_GET_SIZE(object), quote);
		return true;
	}
	if (PySequence_Check(object))
		return sequence_to_text(object, buffer, ndims, quote);
	if (PyMapping_Check(object))
		return mapping_to_text(object, buffer, ndims);
	ensure_datetime_api();
	if (PyDate_Check(object))
	{
		PyObject *iso = PyObject_CallMethod(object, "isoformat", NULL);
		bool	  ok;

		if (iso == NULL)
			return false;
		ok = append_unicode(buffer, iso, false);
		Py_DECREF(iso);
		return ok;
	}
	return append_str_of(buffer, object, quote);
}

/*
 * Converts one non-None Python value into a Datum of `column`'s type. A Python failure is reported as an
 * ERROR; the caller owns `object` and must release it if this throws (see store_value).
 */
static Datum
python_to_datum(PyObject *object, HostColumn *column, StringInfo buffer)
{
	/* The common case, a str for a text or varchar column, without the copy through `buffer`. */
	if (PyUnicode_CheckExact(object) && (column->typoid == TEXTOID || column->typoid == VARCHAROID))
	{
		Py_ssize_t	length;
		const char *utf8 = PyUnicode_AsUTF8AndSize(object, &length);
		char	   *server;
		text	   *result;

		if (utf8 == NULL)
			host_raise_python_error();
		server = pg_any_to_server(utf8, (int) length, PG_UTF8);
		result = cstring_to_text_with_len(server, server == utf8 ? (int) length : (int) strlen(server));
		if (server != utf8)
			pfree(server);
		return PointerGetDatum(result);
	}
	resetStringInfo(buffer);
	if (!python_to_text(object, buffer, column->ndims, false))
		host_raise_python_error();
	if (column->typoid == BYTEAOID || column->typoid == TEXTOID || column->typoid == VARCHAROID)
		return PointerGetDatum(cstring_to_text_with_len(buffer->data, buffer->len));
	return InputFunctionCall(&column->infunc, buffer->data, column->ioparam, column->typmod);
}

/* Stores `item` (a new reference, may be NULL/None) into values[i]/isnull[i] and releases it. */
static void
store_value(PyObject *item, HostColumn *column, StringInfo buffer, Datum *value, bool *isnull)
{
	if (item == NULL || item == Py_None)
	{
		Py_XDECREF(item);
		*value = (Datum) 0;
		*isnull = true;
		return;
	}
	PG_TRY();
	{
		*value = python_to_datum(item, column, buffer);
		*isnull = false;
	}
	PG_CATCH();
	{
		Py_DECREF(item);
		PG_RE_THROW();
	}
	PG_END_TRY();
	Py_DECREF(item);
}

/*
 * Fills `slot` from a row the wrapper produced: a mapping (column name -> value; a missing key is NULL)
 * or a sequence (one item per non-dropped column, in order). The caller keeps its reference to `row`
 * and must release it if this throws.
 */
void
host_python_row_to_slot(PyObject *row, TupleTableSlot *slot, HostColumn *columns, StringInfo buffer)
{
	host_python_row_to_slot_named(row, slot, columns, NULL, buffer);
}

/*
 * The same, with `names` (may be NULL): the column names as str, one per attribute (NULL for dropped
 * ones), so that a dict row is read without building a str per column per row.
 */
void
host_python_row_to_slot_named(PyObject *row, TupleTableSlot *slot, HostColumn *columns, PyObject **names,
							  StringInfo buffer)
{
	TupleDesc desc = slot->tts_tupleDescriptor;
	Datum	 *values = slot->tts_values;
	bool	 *isnull = slot->tts_isnull;
	int		  i;
	int		  position = 0;

	ExecClearTuple(slot);
	if (PySequence_Check(row))
	{
		for (i = 0; i < desc->natts; i++)
		{
			PyObject *item;

			if (columns[i].dropped)
			{
				values[i] = (Datum) 0;
				isnull[i] = true;
				continue;
			}
			item = PySequence_GetItem(row, position++);
			if (item == NULL)
				host_raise_python_error();
			store_value(item, &columns[i], buffer, &values[i], &isnull[i]);
		}
	}
	else if (PyMapping_Check(row))
	{
		for (i = 0; i < desc->natts; i++)
		{
			PyObject *item;

			if (columns[i].dropped)
			{
				values[i] = (Datum) 0;
				isnull[i] = true;
				continue;
			}
			if (names != NULL && PyDict_CheckExact(row))
			{
				item = PyDict_GetItemWithError(row, names[i]); /* borrowed */
				Py_XINCREF(item);
			}
			else
				item = PyMapping_GetItemString(row, columns[i].attname);
			if (item == NULL)
				PyErr_Clear(); /* a missing key is a NULL, as in multicorn2 */
			store_value(item, &columns[i], buffer, &values[i], &isnull[i]);
		}
	}
	else
	{
		/* Word for word multicorn2's message, the missing space included (python.c pythonResultToTuple). */
		ereport(ERROR, (errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
						errmsg("Cannot transform anything else than mappings andsequences to rows")));
	}
	ExecStoreVirtualTuple(slot);
}

/* {column name: value} for every non-dropped column of `slot` (multicorn2's tupleTableSlotToPyObject). */
PyObject *
host_slot_to_python_dict(TupleTableSlot *slot, HostColumn *columns)
{
	TupleDesc desc = slot->tts_tupleDescriptor;
	PyObject *result = PyDict_New();
	int		  i;

	if (result == NULL)
		host_raise_python_error();
	slot_getallattrs(slot);
	for (i = 0; i < desc->natts; i++)
	{
		PyObject *item;

		if (columns[i].dropped)
			continue;
		if (slot->tts_isnull[i])
		{
			Py_INCREF(Py_None);
			item = Py_None;
		}
		else
		{
			PG_TRY();
			{
				item = host_datum_to_python(slot->tts_values[i], columns[i].typoid);
			}
			PG_CATCH();
			{
				Py_DECREF(result);
				PG_RE_THROW();
			}
			PG_END_TRY();
		}
		if (item == NULL || PyDict_SetItemString(result, columns[i].attname, item) < 0)
		{
			Py_XDECREF(item);
			Py_DECREF(result);
			host_raise_python_error();
		}
		Py_DECREF(item);
	}
	return result;
}

/* {option name: value string}; later entries override earlier ones. */
PyObject *
host_options_to_python(List *defelems)
{
	PyObject *result = PyDict_New();
	ListCell *lc;

	if (result == NULL)
		host_raise_python_error();
	foreach(lc, defelems)
	{
		DefElem	 *def = (DefElem *) lfirst(lc);
		PyObject *value = host_cstring_to_python(defGetString(def));

		if (value == NULL || PyDict_SetItemString(result, def->defname, value) < 0)
		{
			Py_XDECREF(value);
			Py_DECREF(result);
			host_raise_python_error();
		}
		Py_DECREF(value);
	}
	return result;
}

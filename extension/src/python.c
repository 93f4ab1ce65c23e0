/*
 * The embedded Python, as the extension's functions reach it: through Multicorn, which owns the interpreter. Both
 * libraries link the same libpython (Debian's python3, like host/Makefile), so once Multicorn's library is loaded
 * and has started Python, this library calls into the same interpreter with the GIL the backend always holds.
 *
 * - multicorn2 starts Python in its _PG_init; the project's host starts it lazily, in host_python_init. Loading
 *   `$libdir/multicorn` runs _PG_init, and host_python_init is called when the library has one.
 * - A Python exception becomes a PostgreSQL error once every Python reference is released: the wrapper's
 *   MulticornException (log_to_postgres at ERROR) keeps its message, HINT and DETAIL, as Multicorn reports it; any
 *   other exception is `Error in python: <type>` with str(exception) as DETAIL. On the host, a PostgreSQL error
 *   caught while Python ran (PostgresInterrupt) is re-thrown by the host itself, unchanged.
 */
#include "pymcache_fdw.h"

#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "utils/memutils.h"

#define MULTICORN_LIBRARY "$libdir/multicorn"
#define FUNCTIONS_MODULE  "pymcache_fdw.functions"

typedef void (*HostInitFunction)(void);
typedef void (*HostReportFunction)(int elevel);

static char *safe_str(PyObject *object);
static char *to_server(const char *utf8);

static PyObject			 *functions_module = NULL;
static HostReportFunction host_report = NULL;

/* Interned names of the methods the C side calls, made once per backend. */
#define MAX_NAMES 48

typedef struct NamedObject
{
	const char *text;
	PyObject   *object;
} NamedObject;

static NamedObject names[MAX_NAMES];
static int		   name_count = 0;

PyObject *
pymc_name(const char *text)
{
	int		  i;
	PyObject *name;

	for (i = 0; i < name_count; i++)
	{
		if (names[i].text == text || strcmp(names[i].text, text) == 0)
			return names[i].object;
	}
	if (name_count >= MAX_NAMES)
		ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						errmsg("pymcache_fdw: more than %d Python names", MAX_NAMES)));
	name = PyUnicode_InternFromString(text);
	if (name == NULL)
		pymc_report_python_error(ERROR);
	names[name_count].text = MemoryContextStrdup(TopMemoryContext, text);
	names[name_count].object = name;
	name_count++;
	return name;
}

/*
 * Makes sure Multicorn's library is loaded and Python started, and imports pymcache_fdw.functions; an ERROR saying
 * what is missing otherwise.
 */
void
pymc_python_ready(void)
{
	HostInitFunction host_init;

	if (functions_module != NULL)
		return;
	load_file(MULTICORN_LIBRARY, false);
	if (!Py_IsInitialized())
	{
		host_init = (HostInitFunction) load_external_function(MULTICORN_LIBRARY, "host_python_init", false, NULL);
		if (host_init != NULL)
			host_init();
	}
	if (!Py_IsInitialized())
		ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						errmsg("pymcache_fdw: Multicorn's library did not start Python"),
						errhint("Install multicorn2 (3.x) built against the same Python as pymcache_fdw's library, or "
								"the Multicorn-compatible host of the repository (scripts/install-host.sh).")));
	host_report =
		(HostReportFunction) load_external_function(MULTICORN_LIBRARY, "host_report_python_error_at", false, NULL);
	functions_module = PyImport_ImportModule(FUNCTIONS_MODULE);
	if (functions_module == NULL)
	{
		PyObject *type, *value, *traceback;
		char	 *text;

		PyErr_Fetch(&type, &value, &traceback);
		PyErr_NormalizeException(&type, &value, &traceback);
		text = safe_str(value);
		Py_XDECREF(type);
		Py_XDECREF(value);
		Py_XDECREF(traceback);
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FILE),
				 errmsg("pymcache_fdw: the embedded Python cannot import %s: %s", FUNCTIONS_MODULE, to_server(text)),
				 errhint("Install the pymcache_fdw package for the Python PostgreSQL embeds (pip install ./python-out, "
						 "see the README), or put it on the server's PYTHONPATH.")));
	}
}

PyObject *
pymc_functions_module(void)
{
	pymc_python_ready();
	return functions_module;
}

/* A Python str of `length` bytes of server-encoded text (converted to UTF-8), or NULL with an exception set. */
PyObject *
pymc_text_to_python(const char *data, int length)
{
	const char *utf8 = data;

	if (GetDatabaseEncoding() != PG_UTF8)
	{
		utf8 = (const char *) pg_do_encoding_conversion((unsigned char *) data, length, GetDatabaseEncoding(), PG_UTF8);
		if (utf8 != data)
			length = strlen(utf8);
	}
	return PyUnicode_FromStringAndSize(utf8, length);
}

/*
 * A palloc'd copy of the UTF-8 text of `object` (a str), NULL with a Python exception set when it is not one.
 * Conversion to the server encoding is left to the caller, after the Python references are released.
 */
char *
pymc_python_to_utf8(PyObject *object, const char *what)
{
	Py_ssize_t	length;
	const char *utf8;

	if (!PyUnicode_Check(object))
	{
		PyErr_Format(PyExc_TypeError, "%s: expected str, got %s", what, Py_TYPE(object)->tp_name);
		return NULL;
	}
	utf8 = PyUnicode_AsUTF8AndSize(object, &length);
	if (utf8 == NULL)
		return NULL;
	return pnstrdup(utf8, length);
}

/* str(object) as a palloc'd UTF-8 string; never raises (a failing __str__ gives a placeholder). */
static char *
safe_str(PyObject *object)
{
	PyObject   *text;
	const char *utf8;
	char	   *result;

	if (object == NULL)
		return pstrdup("");
	text = PyObject_Str(object);
	if (text == NULL)
	{
		PyErr_Clear();
		return pstrdup("<str() of the exception failed>");
	}
	utf8 = PyUnicode_AsUTF8(text);
	if (utf8 == NULL)
	{
		PyErr_Clear();
		Py_DECREF(text);
		return pstrdup("<exception text is not valid UTF-8>");
	}
	result = pstrdup(utf8);
	Py_DECREF(text);
	return result;
}

/* The str of attribute `name` of `object`, NULL when it is missing or None. */
static char *
optional_attr(PyObject *object, const char *name)
{
	PyObject *value = PyObject_GetAttrString(object, name);
	char	 *result = NULL;

	if (value == NULL)
	{
		PyErr_Clear();
		return NULL;
	}
	if (value != Py_None)
		result = safe_str(value);
	Py_DECREF(value);
	return result;
}

static char *
to_server(const char *utf8)
{
	return pg_any_to_server(utf8, strlen(utf8), PG_UTF8);
}

/* Whether `type` is the host's multicorn._utils.PostgresInterrupt (a parked PostgreSQL error). */
static bool
is_postgres_interrupt(PyObject *type)
{
	PyObject *name;
	bool	  result = false;

	if (type == NULL || !PyType_Check(type))
		return false;
	name = PyObject_GetAttrString(type, "__name__");
	if (name == NULL)
	{
		PyErr_Clear();
		return false;
	}
	if (PyUnicode_Check(name))
	{
		const char *text = PyUnicode_AsUTF8(name);

		result = text != NULL && strcmp(text, "PostgresInterrupt") == 0;
		if (text == NULL)
			PyErr_Clear();
	}
	Py_DECREF(name);
	return result;
}

/*
 * Reports the pending Python exception at `elevel` (ERROR normally; WARNING where an ERROR is not allowed: at COMMIT
 * and during abort). Every Python reference is released before ereport.
 */
void
pymc_report_python_error(int elevel)
{
	PyObject *type, *value, *traceback, *flag;
	char	 *type_name;
	char	 *text;

	if (!PyErr_Occurred())
		return;
	PyErr_Fetch(&type, &value, &traceback);
	PyErr_NormalizeException(&type, &value, &traceback);
	if (host_report != NULL && is_postgres_interrupt(type))
	{
		/* The host parked the PostgreSQL error that interrupted Python: it re-throws it as it was. */
		PyErr_Restore(type, value, traceback);
		host_report(elevel);
		return;
	}

	flag = value != NULL ? PyObject_GetAttrString(value, "_is_multicorn_exception") : NULL;
	if (flag == NULL)
		PyErr_Clear();
	if (flag != NULL && PyObject_IsTrue(flag) == 1)
	{
		char	 *message = optional_attr(value, "message");
		char	 *hint = optional_attr(value, "hint");
		char	 *detail = optional_attr(value, "detail");
		PyObject *code = PyObject_GetAttrString(value, "code");
		long	  level = code != NULL ? PyLong_AsLong(code) : 3;
		int		  report_level = elevel;

		PyErr_Clear();
		Py_XDECREF(code);
		Py_DECREF(flag);
		Py_XDECREF(type);
		Py_XDECREF(value);
		Py_XDECREF(traceback);
		/* Multicorn's code 3 is ERROR, anything else (CRITICAL) FATAL. */
		if (elevel >= ERROR && level != 3)
			report_level = FATAL;
		ereport(report_level, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("%s", to_server(message != NULL ? message : "")),
							   hint != NULL ? errhint("%s", to_server(hint)) : 0,
							   detail != NULL ? errdetail("%s", to_server(detail)) : 0));
		return;
	}
	Py_XDECREF(flag);
	{
		PyObject *name = type != NULL ? PyObject_GetAttrString(type, "__name__") : NULL;

		type_name = name != NULL ? safe_str(name) : pstrdup("Exception");
		Py_XDECREF(name);
		PyErr_Clear();
	}
	text = safe_str(value);
	Py_XDECREF(type);
	Py_XDECREF(value);
	Py_XDECREF(traceback);
	ereport(elevel, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("Error in python: %s", to_server(type_name)),
					 errdetail("%s", to_server(text))));
}

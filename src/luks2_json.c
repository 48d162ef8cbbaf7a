#include <string.h>

#include <json-c/json.h>

#include "luks2_json.h"

/*
 * How many keys the text names: every string that a ':' follows. The text
 * has already been accepted by json-c, so strings and structure are sound.
 */
static size_t keys_in_text(const char *s, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		if (s[i] != '"')
			continue;
		for (i++; i < len && s[i] != '"'; i++)
			if (s[i] == '\\')
				i++;
		while (i + 1 < len && strchr(" \t\r\n", s[i + 1]))
			i++;
		if (i + 1 < len && s[i + 1] == ':')
			n++;
	}
	return n;
}

/* How many keys json-c kept: fewer than the text names when one repeats. */
static size_t keys_in_tree(json_object *o)
{
	size_t i, n = 0;

	switch (json_object_get_type(o)) {
	case json_type_object: {
		json_object_object_foreach(o, key, val) {
			(void)key;
			n += 1 + keys_in_tree(val);
		}
		break;
	}
	case json_type_array:
		for (i = 0; i < json_object_array_length(o); i++)
			n += keys_in_tree(json_object_array_get_idx(o, i));
		break;
	default:
		break;
	}
	return n;
}

static int parse_text(const char *text, size_t len, int depth, json_object **root,
		      struct failure *f)
{
	struct json_tokener *tok;
	enum json_tokener_error err;
	json_object *o = NULL;
	int ret = STATUS_VERIFY;

	*root = NULL;
	if (len > 0x7fffffff)
		return fail(f, STATUS_VERIFY, "JSON too large");
	tok = json_tokener_new_ex(depth);
	if (!tok)
		return fail(f, STATUS_VERIFY, "out of memory");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, text, (int)len);
	err = json_tokener_get_error(tok);
	if (!o || err != json_tokener_success) {
		fail(f, STATUS_VERIFY, "bad JSON: %s",
		     err == json_tokener_continue ? "it ends early" : json_tokener_error_desc(err));
		goto out;
	}
	if (json_tokener_get_parse_end(tok) != len) {
		fail(f, STATUS_VERIFY, "bad JSON: data after the object");
		goto out;
	}
	if (!json_object_is_type(o, json_type_object)) {
		fail(f, STATUS_VERIFY, "bad JSON: not an object");
		goto out;
	}
	if (keys_in_tree(o) != keys_in_text(text, len)) {
		fail(f, STATUS_VERIFY, "bad JSON: a key appears twice in one object");
		goto out;
	}
	*root = o;
	o = NULL;
	ret = STATUS_OK;
out:
	json_object_put(o);
	json_tokener_free(tok);
	return ret;
}

int luks2_json_parse(const char *area, size_t len, int depth, json_object **root,
		     struct failure *f)
{
	const char *end = memchr(area, '\0', len);
	size_t i, text_len;

	*root = NULL;
	/* A JSON area holds its text and zero padding; a decoded header no NUL. */
	if (!end)
		return parse_text(area, len, depth, root, f);
	text_len = (size_t)(end - area);
	for (i = text_len; i < len; i++)
		if (area[i])
			return fail(f, STATUS_VERIFY, "bad JSON: data after the object's end");
	return parse_text(area, text_len, depth, root, f);
}

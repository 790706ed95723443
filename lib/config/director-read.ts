/** The `director:` section read from a document: each field judged alone, placed at its value. */
import { isMap } from './document';
import { show } from '../errors';
import {
  DIRECTOR_FIELDS, NOTIFY_FIELDS, defaultDirectorSettings, directorSetting, notifyCommand, type DirectorSettings, type NotifySettings,
} from './director-settings';
import type { Field, FieldReader } from './health-read';

export function readDirector(reader: FieldReader, field: Field, path: string): DirectorSettings {
  const settings = defaultDirectorSettings();
  if (!field.value || !isMap(field.value)) {
    // `director:` alone (null) is the defaults.
    if (field.value && reader.value(field, path) !== null)
      reader.problems.add(reader.placeOfField(field), path, `expected the agent's settings: a mapping with resyncInterval:, onStop:, … got ${show(reader.value(field, path))}`);
    return settings;
  }
  const f = reader.fields(field.value, path, DIRECTOR_FIELDS, "the agent's settings");
  if (!f) return settings;
  const out = settings as unknown as Record<string, unknown>;
  for (const [name, sub] of f) {
    const at = `${path}.${name}`;
    if (name === 'notify') {
      settings.notify = readNotify(reader, sub, at);
      continue;
    }
    const value = reader.value(sub, at);
    if (typeof value === 'symbol') continue;
    try {
      out[name] = directorSetting(name as (typeof DIRECTOR_FIELDS)[number], value, at);
    } catch (err) {
      reader.problems.addError(err, (p) => reader.placeOfPath(p), at);
    }
  }
  return settings;
}

function readNotify(reader: FieldReader, field: Field, path: string): NotifySettings {
  const out: NotifySettings = {};
  if (!field.value || !isMap(field.value)) {
    reader.problems.add(reader.placeOfField(field), path, `expected hooks: a mapping with up:, down:, quorumUp:, quorumDown:, got ${show(reader.value(field, path))}`);
    return out;
  }
  const f = reader.fields(field.value, path, NOTIFY_FIELDS, 'hooks');
  if (!f) return out;
  for (const [name, sub] of f) {
    const at = `${path}.${name}`;
    const value = reader.value(sub, at);
    if (typeof value === 'symbol') continue;
    try {
      out[name as keyof NotifySettings] = notifyCommand(value, at);
    } catch (err) {
      reader.problems.addError(err, (p) => reader.placeOfPath(p), at);
    }
  }
  return out;
}

/**
 * The bytes of a `.properties` file as text. Java's `Properties.load(InputStream)` reads
 * ISO-8859-1, and WCS writes its `flashphoner.properties` that way; our shipped file is
 * UTF-8. So: bytes that are valid UTF-8 are read as UTF-8 (ASCII, our file, files edited
 * with today's editors), anything else as ISO-8859-1 (`caf\xe9` is "café", never
 * "caf\uFFFD"). A Latin-1 file whose accented letters happen to form valid UTF-8 (such
 * as "Ã©") would be read as UTF-8; `\uXXXX` escapes avoid the question in any file.
 */

export type PropertiesEncoding = 'utf-8' | 'iso-8859-1';

export interface DecodedProperties {
  text: string;
  encoding: PropertiesEncoding;
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function decodePropertiesFile(bytes: Uint8Array): DecodedProperties {
  try {
    return { text: STRICT_UTF8.decode(bytes), encoding: 'utf-8' };
  } catch {
    return { text: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1'), encoding: 'iso-8859-1' };
  }
}

/** Settings: the flashphoner.properties reader, the table of every setting, the loader. */
export { decodePropertiesFile, type DecodedProperties } from './properties-encoding';
export { parseProperties, formatPropertyLine, PropertiesSyntaxError, type PropertyEntry } from './properties-parser';
export {
  SETTINGS,
  SETTING_GROUPS,
  DEFAULT_RTMP_FLASH_VER,
  KEEP_ALIVE_ALGORITHMS,
  LOG_LEVELS,
  defaultSettings,
  maskValue,
  crossFieldIssues,
  type Settings,
  type SettingField,
  type SettingSpec,
  type SettingOrigin,
  type SettingSecrecy,
  type SettingGroup,
  type KeepAliveAlgorithm,
  type LogLevelName,
  type SettingReload,
  type CrossFieldIssue,
} from './settings-schema';
export { loadSettings, parseSettings, describeSettings, SettingsError, type LoadedSettings } from './load-settings';
export {
  SettingsReloader,
  diffSettings,
  liveSettings,
  type ApplySettings,
  type ReloadOutcome,
  type SettingChange,
  type SettingsDiff,
} from './settings-reload';
export { renderDefaultProperties } from './render-properties';

// The guide's typed errors (the UI server maps them to not-found / unavailable).
import { KubewireError } from '../../common/errors.js';

export class LabNotFound extends KubewireError {}
export class GuideUnavailable extends KubewireError {}

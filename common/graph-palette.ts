// The topology's colours per theme (renderer/topology-style.ts draws with them; a unit test holds
// their contrast to WCAG AA). Data only, so both sides can read it.
import type { Theme } from './learner-contract.js';

export interface GraphPalette {
  text: string;
  edge: string;
  edgeText: string;
  textBg: string;
  device: string;
  deviceBorder: string;
  box: string;
  pod: string;
  podBorder: string;
  selected: string;
  path: string;
  background: string;
}

export const PALETTES: Record<Theme, GraphPalette> = {
  dark: {
    text: '#e6e9ef',
    edge: '#8d95a5',
    edgeText: '#c4cad4',
    textBg: '#1b1d23',
    device: '#3b4252',
    deviceBorder: '#7a8290',
    box: '#61afef',
    pod: '#2f5d46',
    podBorder: '#98c379',
    selected: '#7fd1ff',
    path: '#e0a060',
    background: '#1b1d23',
  },
  light: {
    text: '#15181e',
    edge: '#59606d',
    edgeText: '#2b2f36',
    textBg: '#ffffff',
    device: '#e3e8f0',
    deviceBorder: '#59606d',
    box: '#1f5f99',
    pod: '#dcefdc',
    podBorder: '#2e7d32',
    selected: '#0b63c4',
    path: '#b35c00',
    background: '#fbfbfd',
  },
};

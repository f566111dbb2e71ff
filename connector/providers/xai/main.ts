#!/usr/bin/env node
import { main } from '../../cli/main.js';
import { xaiSource } from './index.js';

void main(xaiSource, process.argv.slice(2));

#!/usr/bin/env node
import { main } from '../../cli/main.js';
import { openrouterSource } from './index.js';

void main(openrouterSource, process.argv.slice(2));

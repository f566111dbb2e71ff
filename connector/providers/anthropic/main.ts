#!/usr/bin/env node
import { main } from '../../cli/main.js';
import { anthropicSource } from './index.js';

void main(anthropicSource, process.argv.slice(2));

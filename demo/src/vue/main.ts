import { createApp } from 'vue';
import { Shop } from '../shared/shop.js';
import App from './App.vue';

createApp(App, { shop: Shop.fromDocument() }).mount('#app');
